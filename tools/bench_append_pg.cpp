// rxportal bench append --pg URL: durable encrypted, chained appends to the PostgreSQL store,
// against two baselines measured in the same run on the same server, batch by batch:
//  (a) raw: the same stored bytes (header, ciphertext, hash) as one multi-row INSERT per
//      batch into a plain table with the same keys; what PostgreSQL itself costs;
//  (b) pgcrypto: the same plaintext payloads encrypted in SQL with pgp_sym_encrypt_bytea into
//      a plain table whose AFTER INSERT trigger writes an audit row per event; the usual
//      "encrypt in the database and audit with a trigger" design.
// Each real batch is followed by its two baseline batches, so all three meet the same disk
// and load conditions. The database must be empty of rxportal events (a fresh one).
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "events/keyring.hpp"
#include "events/pg_conn.hpp"
#include "infra/bytes.hpp"
#include "infra/secure.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

using events::pg::Params;
using events::pg::PgConn;

constexpr const char* kBaselineSchema = R"sql(
DROP TABLE IF EXISTS bench_raw, bench_crypto, bench_audit;
DROP FUNCTION IF EXISTS bench_audit_row();
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE bench_raw (
  position bigint PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
  header bytea NOT NULL, payload bytea NOT NULL, hash bytea NOT NULL, UNIQUE (stream_id, version));
CREATE TABLE bench_crypto (
  id bigserial PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
  payload bytea NOT NULL, UNIQUE (stream_id, version));
CREATE TABLE bench_audit (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), row_id bigint NOT NULL,
  stream_id text NOT NULL, actor text NOT NULL);
CREATE FUNCTION bench_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_audit (row_id, stream_id, actor) VALUES (NEW.id, NEW.stream_id, current_user);
  RETURN NULL;
END $$;
CREATE TRIGGER bench_audit_after AFTER INSERT ON bench_crypto
  FOR EACH ROW EXECUTE FUNCTION bench_audit_row();
)sql";

constexpr const char* kRawInsert =
    "INSERT INTO bench_raw (position, stream_id, version, header, payload, hash) "
    "SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::bytea[], $5::bytea[], $6::bytea[])";

constexpr const char* kCryptoInsert =
    "INSERT INTO bench_crypto (stream_id, version, payload) "
    "SELECT s, v, pgp_sym_encrypt_bytea(p, $4) FROM unnest($1::text[], $2::int8[], $3::bytea[]) AS u (s, v, p)";

Status raw_batch(PgConn& c, const std::vector<events::RawEvent>& rows) {
  std::vector<int64_t> pos, ver;
  std::vector<std::string> stream;
  std::vector<Bytes> header, payload, hash;
  for (const auto& r : rows) {
    pos.push_back(static_cast<int64_t>(r.position));
    ver.push_back(static_cast<int64_t>(r.version));
    stream.push_back(r.stream_id);
    header.push_back(r.header_bytes);
    payload.push_back(r.ciphertext);
    hash.push_back(r.hash);
  }
  Params p;
  p.i64_array(pos);
  p.text_array(stream);
  p.i64_array(ver);
  p.bytes_array(header);
  p.bytes_array(payload);
  p.bytes_array(hash);
  auto r = c.query(kRawInsert, p, "raw baseline insert");
  return r ? Status::ok() : r.status();
}

Status crypto_batch(PgConn& c, const std::vector<events::AppendRequest>& batch,
                    const std::vector<events::RawEvent>& rows, const std::string& passphrase) {
  std::vector<int64_t> ver;
  std::vector<std::string> stream;
  std::vector<Bytes> plaintext;
  for (size_t i = 0; i < rows.size(); ++i) {
    stream.push_back(rows[i].stream_id);
    ver.push_back(static_cast<int64_t>(rows[i].version));
    plaintext.push_back(batch[i].events.front().payload.bytes);
  }
  Params p;
  p.text_array(stream);
  p.i64_array(ver);
  p.bytes_array(plaintext);
  p.text(passphrase);
  auto r = c.query(kCryptoInsert, p, "pgcrypto baseline insert");
  return r ? Status::ok() : r.status();
}

}  // namespace

int run_bench_append_pg(const BenchAppendOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.data, ec);
  if (ec) return report(Status(ErrorCode::kIo, "cannot create " + o.data));
  if (!std::filesystem::exists(key_path(o.data))) {
    auto k = events::KeyRing::create(key_path(o.data));
    if (!k) return report(k.status());
  }
  auto d = open_data(o.data, false, o.pg);
  if (!d) return report(d.status());
  auto head = d->store->head_position();
  if (!head) return report(head.status());
  if (*head != 0)
    return report(Status(ErrorCode::kInvalidArgument, "--pg database already holds events; bench append needs an empty one"));
  PgConn base;
  if (Status st = base.connect(o.pg); !st) return report(st);
  if (Status st = base.exec(kBaselineSchema, "baseline schema"); !st) return report(st);
  uint8_t key[32];
  secure_random(key, sizeof key);
  std::string passphrase = to_hex(BytesView(key, sizeof key));
  secure_wipe(key, sizeof key);

  std::vector<events::AppendRequest> requests;
  requests.reserve(o.events);
  for (size_t i = 0; i < o.events; ++i) requests.push_back(bench_request(i, o.streams));

  double real_s = 0, raw_s = 0, crypto_s = 0;
  size_t ciphertext_bytes = 0;
  for (size_t i = 0; i < requests.size(); i += o.batch) {
    std::vector<events::AppendRequest> batch(
        requests.begin() + static_cast<long>(i),
        requests.begin() + static_cast<long>(std::min(requests.size(), i + o.batch)));
    auto t0 = std::chrono::steady_clock::now();
    auto results = d->log->append_batch(batch);
    real_s += seconds_since(t0);
    for (auto& r : results)
      if (!r) return report(r.status());
    auto rows = d->store->read_all(results.front()->first_position, batch.size());
    if (!rows) return report(rows.status());
    for (const auto& r : *rows) ciphertext_bytes += r.ciphertext.size();
    auto t1 = std::chrono::steady_clock::now();
    if (Status st = raw_batch(base, *rows); !st) return report(st);
    raw_s += seconds_since(t1);
    auto t2 = std::chrono::steady_clock::now();
    if (Status st = crypto_batch(base, batch, *rows, passphrase); !st) return report(st);
    crypto_s += seconds_since(t2);
  }
  secure_wipe(passphrase.data(), passphrase.size());

  double n = static_cast<double>(o.events);
  double eps = n / real_s, raw = n / raw_s, crypto = n / crypto_s;
  nlohmann::json j = {{"bench", "append"},
                      {"store", "postgresql"},
                      {"events", o.events},
                      {"batch", o.batch},
                      {"streams", o.streams},
                      {"ciphertext_bytes_avg", ciphertext_bytes / o.events},
                      {"events_per_s", eps},
                      {"raw_insert_per_s", raw},
                      {"ratio_raw", eps / raw},
                      {"pgcrypto_trigger_per_s", crypto},
                      {"ratio_pgcrypto", eps / crypto},
                      {"seconds", real_s},
                      {"raw_seconds", raw_s},
                      {"pgcrypto_seconds", crypto_s}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "append (PostgreSQL): " << static_cast<long>(eps) << " events/s (encrypted, chained, durable); "
              << "raw multi-row inserts of the same bytes: " << static_cast<long>(raw) << " rows/s (ratio "
              << eps / raw << "); pgcrypto + audit trigger: " << static_cast<long>(crypto) << " rows/s (ratio "
              << eps / crypto << ")\n";
  }
  return kExitOk;
}

}  // namespace rxp::cli
