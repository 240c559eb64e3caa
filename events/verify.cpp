#include "events/verify.hpp"

#include <unordered_map>

namespace rxp::events {

Result<VerifyReport> verify_log(EventLog& log, const VerifyOptions& options) {
  VerifyReport report;
  Status physical = options.physical_check ? log.store().check_physical() : Status::ok();
  if (Status st = physical; !st) {
    report.failure = VerifyFailure{0, "", 0, st.message()};
    return report;
  }
  struct Head {
    uint64_t version = 0;
    Hash hash{};
  };
  std::unordered_map<std::string, Head> heads;
  uint64_t expected_position = 1;
  constexpr size_t kPage = 4096;
  for (;;) {
    auto page = log.store().read_all(expected_position, kPage);
    if (!page) {
      if (page.status().code() == ErrorCode::kCorruption) {
        report.failure = VerifyFailure{expected_position, "", 0, page.status().message()};
        return report;
      }
      return page.status();
    }
    for (const RawEvent& raw : *page) {
      auto fail = [&](std::string reason) {
        report.failure = VerifyFailure{raw.position, raw.stream_id, raw.version, std::move(reason)};
        return report;
      };
      if (raw.position != expected_position) {
        report.failure = VerifyFailure{expected_position, "", 0,
                                       "position " + std::to_string(expected_position) +
                                           " is missing (next stored: " +
                                           std::to_string(raw.position) + ")"};
        return report;
      }
      ++expected_position;
      auto header = decode_header(raw.header_bytes);
      if (!header) return fail(header.status().message());
      if (header->position != raw.position || header->stream_id != raw.stream_id ||
          header->version != raw.version)
        return fail("stored columns disagree with the header");
      Head& head = heads[raw.stream_id];
      if (header->version != head.version + 1)
        return fail("stream version " + std::to_string(header->version) + " follows " +
                    std::to_string(head.version));
      if (header->prev_hash != head.hash) return fail("previous hash does not match");
      Hash computed = chain_hash(raw.header_bytes, raw.ciphertext);
      if (raw.hash.size() != computed.size() || !std::equal(computed.begin(), computed.end(), raw.hash.begin()))
        return fail("event hash does not match");
      auto payload = log.open_payload(raw, *header);
      if (!payload) return fail(payload.status().message());
      if (!payload->has_value()) ++report.shredded_events;
      head.version = header->version;
      head.hash = computed;
      ++report.events;
    }
    if (page->size() < kPage) break;
  }
  report.streams = heads.size();
  return report;
}

}  // namespace rxp::events
