#include "events/pg_conn.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

namespace rxp::events::pg {
namespace {

constexpr Oid kInt8 = 20, kText = 25, kBytea = 17;
constexpr Oid kInt8Array = 1016, kTextArray = 1009, kByteaArray = 1001;

void put32(std::string& s, uint32_t v) {
  v = htonl(v);
  s.append(reinterpret_cast<const char*>(&v), 4);
}

void put64(std::string& s, uint64_t v) {
  put32(s, static_cast<uint32_t>(v >> 32));
  put32(s, static_cast<uint32_t>(v));
}

uint64_t get64(const char* p) {
  uint32_t hi, lo;
  std::memcpy(&hi, p, 4);
  std::memcpy(&lo, p + 4, 4);
  return (static_cast<uint64_t>(ntohl(hi)) << 32) | ntohl(lo);
}

// The binary array format: dimensions, null flag, element type, size, lower bound, then
// each element as length + bytes.
template <class Elems, class Put>
std::string array_of(Oid elem_type, const Elems& elems, Put put) {
  std::string s;
  put32(s, 1);
  put32(s, 0);
  put32(s, elem_type);
  put32(s, static_cast<uint32_t>(elems.size()));
  put32(s, 1);
  for (const auto& e : elems) put(s, e);
  return s;
}

ErrorCode code_of_state(const char* state) {
  if (state == nullptr) return ErrorCode::kIo;
  std::string s(state);
  if (s == "23505" || s == "23514") return ErrorCode::kConflict;
  if (s == "40001" || s == "40P01" || s == "55P03") return ErrorCode::kBusy;
  return ErrorCode::kIo;
}

}  // namespace

std::string one_line(const char* message) {
  std::string s = message ? message : "";
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

void Params::add(Oid type, std::string data) {
  types_.push_back(type);
  lengths_.push_back(static_cast<int>(data.size()));
  formats_.push_back(1);
  data_.push_back(std::move(data));
  values_.push_back(nullptr);
}

const char* const* Params::values() {
  for (size_t i = 0; i < data_.size(); ++i) values_[i] = data_[i].data();
  return values_.data();
}

void Params::i64(int64_t v) {
  std::string s;
  put64(s, static_cast<uint64_t>(v));
  add(kInt8, std::move(s));
}

void Params::text(const std::string& v) { add(kText, v); }

void Params::bytes(BytesView v) { add(kBytea, std::string(reinterpret_cast<const char*>(v.data()), v.size())); }

void Params::i64_array(const std::vector<int64_t>& v) {
  add(kInt8Array, array_of(kInt8, v, [](std::string& s, int64_t e) {
        put32(s, 8);
        put64(s, static_cast<uint64_t>(e));
      }));
}

void Params::text_array(const std::vector<std::string>& v) {
  add(kTextArray, array_of(kText, v, [](std::string& s, const std::string& e) {
        put32(s, static_cast<uint32_t>(e.size()));
        s += e;
      }));
}

void Params::bytes_array(const std::vector<Bytes>& v) {
  add(kByteaArray, array_of(kBytea, v, [](std::string& s, const Bytes& e) {
        put32(s, static_cast<uint32_t>(e.size()));
        s.append(reinterpret_cast<const char*>(e.data()), e.size());
      }));
}

Res& Res::operator=(Res&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

int64_t Res::i64(int row, int col) const {
  if (null(row, col) || PQgetlength(r_, row, col) != 8) return 0;
  return static_cast<int64_t>(get64(PQgetvalue(r_, row, col)));
}

bool Res::boolean(int row, int col) const {
  return !null(row, col) && PQgetlength(r_, row, col) == 1 && PQgetvalue(r_, row, col)[0] != 0;
}

std::string Res::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

Bytes Res::bytes(int row, int col) const {
  auto p = reinterpret_cast<const uint8_t*>(PQgetvalue(r_, row, col));
  return Bytes(p, p + PQgetlength(r_, row, col));
}

Status PgConn::connect(const std::string& url) {
  PQfinish(c_);
  c_ = PQconnectdb(url.c_str());
  if (c_ == nullptr) return Status(ErrorCode::kIo, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(c_) != CONNECTION_OK)
    return Status(ErrorCode::kIo, "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(c_)));
  // Server notices (e.g. a shutdown in progress) are not printed: the store reports errors
  // as Status values, and libpq's default would write them to stderr.
  PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  // Durability is the store's contract: a commit returns after the WAL is flushed.
  return exec("SET synchronous_commit = on; SET client_min_messages = warning", "session setup");
}

Status PgConn::check(PGresult* r, const char* what) {
  auto st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::ok();
  std::string msg = std::string(what) + ": ";
  if (PQstatus(c_) != CONNECTION_OK) {
    msg += "connection lost (" + one_line(PQerrorMessage(c_)) + ")";
    return Status(ErrorCode::kIo, msg);
  }
  msg += one_line(PQresultErrorMessage(r));
  return Status(code_of_state(PQresultErrorField(r, PG_DIAG_SQLSTATE)), msg);
}

Status PgConn::exec(const char* sql, const char* what) {
  if (c_ == nullptr) return Status(ErrorCode::kIo, std::string(what) + ": not connected");
  Res r(PQexec(c_, sql));
  return check(r.get(), what);
}

Result<Res> PgConn::exec_rows(const char* sql, const char* what) {
  if (c_ == nullptr) return Status(ErrorCode::kIo, std::string(what) + ": not connected");
  Res r(PQexec(c_, sql));
  RXP_RETURN_IF_ERROR(check(r.get(), what));
  return r;
}

void PgConn::cut() {
  if (c_ != nullptr && PQsocket(c_) >= 0) ::shutdown(PQsocket(c_), SHUT_RDWR);
}

Result<Res> PgConn::query(const char* sql, Params& p, const char* what) {
  if (c_ == nullptr) return Status(ErrorCode::kIo, std::string(what) + ": not connected");
  Res r(PQexecParams(c_, sql, p.count(), p.types(), p.values(), p.lengths(), p.formats(), 1));
  RXP_RETURN_IF_ERROR(check(r.get(), what));
  return r;
}

Status PgConn::pipeline(const std::vector<Step>& steps, const char* what, const std::function<void()>& after_send,
                        std::vector<Res>* results) {
  if (c_ == nullptr) return Status(ErrorCode::kIo, std::string(what) + ": not connected");
  auto lost = [&] {
    return Status(ErrorCode::kIo, std::string(what) + ": connection lost (" + one_line(PQerrorMessage(c_)) + ")");
  };
  if (PQenterPipelineMode(c_) != 1) return lost();
  bool sent = true;
  for (const Step& s : steps) {
    int ok = s.params != nullptr
                 ? PQsendQueryParams(c_, s.sql, s.params->count(), s.params->types(), s.params->values(),
                                     s.params->lengths(), s.params->formats(), 1)
                 : PQsendQueryParams(c_, s.sql, 0, nullptr, nullptr, nullptr, nullptr, 1);
    if (ok != 1) {
      sent = false;
      break;
    }
  }
  // The Sync ends the pipeline even after a failed send, so that the connection stays usable.
  if (PQpipelineSync(c_) != 1 || PQflush(c_) != 0) sent = false;
  if (after_send) after_send();
  Status first = sent ? Status::ok() : lost();
  for (size_t i = 0; i < steps.size() && healthy(); ++i) {
    PGresult* r = PQgetResult(c_);
    if (r == nullptr) break;
    Status st = check(r, what);
    if (results != nullptr && st) results->emplace_back(r);
    else PQclear(r);
    if (results != nullptr && !st) results->emplace_back(nullptr);
    if (first && !st) first = st;
    while (PGresult* extra = PQgetResult(c_)) PQclear(extra);  // the NULL that ends a step
  }
  if (healthy()) {
    while (PGresult* r = PQgetResult(c_)) {  // up to and including the Sync's result
      bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
    PQexitPipelineMode(c_);
  }
  if (first && !healthy()) first = lost();
  return first;
}

Result<Res> PgConn::query(const char* sql, const char* what) {
  Params none;
  return query(sql, none, what);
}

Status connect_with_retry(PgConn& conn, const std::string& url, int attempts,
                          std::chrono::milliseconds first_backoff) {
  if (attempts < 1) attempts = 1;
  auto wait = first_backoff;
  Status last;
  for (int i = 1; i <= attempts; ++i) {
    last = conn.connect(url);
    if (last) return last;
    if (i < attempts) {
      std::this_thread::sleep_for(wait);
      wait *= 2;
    }
  }
  return Status(last.code(), last.message() + " (gave up after " + std::to_string(attempts) +
                                 (attempts == 1 ? " attempt)" : " attempts)"));
}

}  // namespace rxp::events::pg
