#include "projections/jetstream_common.hpp"

#include <nats/nats.h>

#include <mutex>

#include "projections/feed_frame.hpp"
#include "projections/siem_sink.hpp"

namespace rxp::projections {
namespace {

// NATS.c must not be opened concurrently from two threads (LIBRARIES.md): open it once.
void open_library() {
  static std::once_flag once;
  std::call_once(once, [] { nats_Open(-1); });
}

void on_reconnected(natsConnection*, void* closure) {
  static_cast<std::atomic<bool>*>(closure)->store(true);
}

// A negative or missing publish ack: counted; the publisher then resynchronizes (the library
// destroys the message).
void on_publish_error(jsCtx*, jsPubAckErr*, void* closure) {
  static_cast<std::atomic<uint64_t>*>(closure)->fetch_add(1);
}

// How far back the last-position lookup walks past messages that are not event frames
// (someone else published on the subject).
constexpr uint64_t kMaxWalkBack = 1024;

}  // namespace

Status nats_failure(const char* what, int status, int js_error) {
  std::string m = "NATS ";
  m += what;
  m += " failed: ";
  m += natsStatus_GetText(static_cast<natsStatus>(status));
  if (js_error != 0) m += " (JetStream error " + std::to_string(js_error) + ")";
  return Status(ErrorCode::kIo, std::move(m));
}

Status check_feed_options(const FeedOptions& o) {
  if (!is_valid_nats_url(o.url)) return Status(ErrorCode::kInvalidArgument, "bad NATS URL");
  if (!is_valid_nats_subject(o.subject))
    return Status(ErrorCode::kInvalidArgument, "bad NATS subject");
  auto name_ok = [](const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        return false;
    return true;
  };
  if (!name_ok(o.stream) || !name_ok(o.durable))
    return Status(ErrorCode::kInvalidArgument, "bad JetStream stream or consumer name");
  if (o.batch == 0 || o.batch > 10000) return Status(ErrorCode::kInvalidArgument, "feed batch must be 1..10000");
  return Status::ok();
}

Status FeedConnection::connect() {
  close();
  open_library();
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, o_.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name_);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, o_.timeout.count());
  // Once connected, reconnect forever: the owner resynchronizes with the stream afterwards.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, &reconnected_);
  if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    nc_ = nullptr;
    return nats_failure("connect", s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o_.timeout.count();
  jo.PublishAsync.ErrHandler = on_publish_error;
  jo.PublishAsync.ErrHandlerClosure = &publish_errors_;
  jo.PublishAsync.MaxPending = static_cast<int64_t>(2 * o_.batch);
  s = natsConnection_JetStream(&js_, nc_, &jo);
  if (s != NATS_OK) {
    js_ = nullptr;
    close();
    return nats_failure("JetStream context", s);
  }
  reconnected_ = false;
  return Status::ok();
}

void FeedConnection::close() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
  nc_ = nullptr;
}

Status FeedConnection::ensure_stream() {
  const char* subjects[] = {o_.subject.c_str()};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = o_.stream.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Duplicates = o_.duplicate_window_s * 1000000000LL;
  sc.MaxMsgs = o_.max_messages;
  sc.Discard = js_DiscardOld;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) {
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, js_, &sc, nullptr, &jerr);
  }
  jsStreamInfo_Destroy(si);
  return s == NATS_OK ? Status::ok() : nats_failure("stream creation", s, jerr);
}

Result<uint64_t> FeedConnection::last_position() {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, o_.stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return nats_failure("stream info", s, jerr);
  uint64_t first = si->State.FirstSeq, last = si->State.LastSeq, msgs = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  if (msgs == 0) return uint64_t{0};
  for (uint64_t seq = last, walked = 0; seq >= first && seq > 0 && walked < kMaxWalkBack; --seq, ++walked) {
    natsMsg* m = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_GetMsg(&m, js_, o_.stream.c_str(), seq, nullptr, &jerr);
    if (s == NATS_NOT_FOUND) continue;  // deleted message
    if (s != NATS_OK) return nats_failure("stream message lookup", s, jerr);
    auto e = decode_feed_frame(BytesView(reinterpret_cast<const uint8_t*>(natsMsg_GetData(m)),
                                         static_cast<size_t>(natsMsg_GetDataLength(m))));
    // Only a publisher's message counts: a frame with its position as Nats-Msg-Id. Anything
    // else someone put on the subject is walked past.
    const char* id = nullptr;
    bool ours = e && natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr &&
                std::to_string(e->position) == id;
    natsMsg_Destroy(m);
    if (ours) return e->position;
  }
  return uint64_t{0};
}

}  // namespace rxp::projections
