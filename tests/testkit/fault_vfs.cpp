#include "tests/testkit/fault_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace rxp::testkit {
namespace {

sqlite3_vfs g_vfs;
sqlite3_vfs* g_base = nullptr;
std::atomic<int> g_remaining{-1};  // -1: never fail
std::atomic<int> g_error{SQLITE_IOERR_WRITE};

struct FaultFile {
  sqlite3_file base;  // must be first: SQLite sees a FaultFile* as a sqlite3_file*
  sqlite3_file* real;
};

sqlite3_io_methods g_methods;

bool should_fail() {
  int r = g_remaining.load();
  if (r < 0) return false;
  if (r == 0) return true;
  g_remaining.fetch_sub(1);
  return false;
}

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int x_close(sqlite3_file* f) {
  int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  sqlite3_free(real(f));
  return rc;
}
int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), b, n, o); }
int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (should_fail()) return g_error.load();
  return real(f)->pMethods->xWrite(real(f), b, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 s) { return real(f)->pMethods->xTruncate(real(f), s); }
int x_sync(sqlite3_file* f, int flags) {
  if (should_fail()) return g_error.load() == SQLITE_FULL ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_size(sqlite3_file* f, sqlite3_int64* s) { return real(f)->pMethods->xFileSize(real(f), s); }
int x_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int x_check(sqlite3_file* f, int* r) { return real(f)->pMethods->xCheckReservedLock(real(f), r); }
int x_fcntl(sqlite3_file* f, int op, void* a) { return real(f)->pMethods->xFileControl(real(f), op, a); }
int x_sector(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_devchar(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shmmap(sqlite3_file* f, int i, int sz, int e, void volatile** p) { return real(f)->pMethods->xShmMap(real(f), i, sz, e, p); }
int x_shmlock(sqlite3_file* f, int o, int n, int fl) { return real(f)->pMethods->xShmLock(real(f), o, n, fl); }
void x_shmbarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shmunmap(sqlite3_file* f, int d) { return real(f)->pMethods->xShmUnmap(real(f), d); }

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out) {
  auto* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = static_cast<sqlite3_file*>(sqlite3_malloc(g_base->szOsFile));
  std::memset(ff->real, 0, g_base->szOsFile);
  int rc = g_base->xOpen(g_base, name, ff->real, flags, out);
  ff->base.pMethods = rc == SQLITE_OK ? &g_methods : nullptr;
  if (rc != SQLITE_OK) sqlite3_free(ff->real);
  return rc;
}

}  // namespace

void register_fault_vfs() {
  if (g_base != nullptr) return;
  g_base = sqlite3_vfs_find(nullptr);
  g_methods = {};
  g_methods.iVersion = 2;
  g_methods.xClose = x_close;
  g_methods.xRead = x_read;
  g_methods.xWrite = x_write;
  g_methods.xTruncate = x_truncate;
  g_methods.xSync = x_sync;
  g_methods.xFileSize = x_size;
  g_methods.xLock = x_lock;
  g_methods.xUnlock = x_unlock;
  g_methods.xCheckReservedLock = x_check;
  g_methods.xFileControl = x_fcntl;
  g_methods.xSectorSize = x_sector;
  g_methods.xDeviceCharacteristics = x_devchar;
  g_methods.xShmMap = x_shmmap;
  g_methods.xShmLock = x_shmlock;
  g_methods.xShmBarrier = x_shmbarrier;
  g_methods.xShmUnmap = x_shmunmap;
  g_vfs = *g_base;
  g_vfs.zName = "rxp-fault";
  g_vfs.szOsFile = sizeof(FaultFile);
  g_vfs.xOpen = x_open;
  g_vfs.pNext = nullptr;
  sqlite3_vfs_register(&g_vfs, 0);
}

void fault_vfs_fail_after(int n, int error) {
  g_error = error;
  g_remaining = n;
}

void fault_vfs_clear() { g_remaining = -1; }

}  // namespace rxp::testkit
