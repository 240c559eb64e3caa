// A SQLite VFS that wraps the default one and fails writes and syncs on demand, so tests can
// inject I/O errors and a full disk into the real SQLite store.
#pragma once

namespace rxp::testkit {

// Registers the VFS named "rxp-fault" (idempotent).
void register_fault_vfs();
// After `n` more successful write/sync calls, every write or sync fails with `error`
// (SQLITE_IOERR_WRITE or SQLITE_FULL) until fault_vfs_clear().
void fault_vfs_fail_after(int n, int error);
void fault_vfs_clear();

}  // namespace rxp::testkit
