// A small synchronous HTTPS client for the edge's integration tests (Boost.Beast over
// OpenSSL): keeps a cookie jar, reuses its connection while the server keeps it alive, and
// verifies the server's certificate against the test CA file and the name 127.0.0.1.
// Thread-safety: one client per thread.
#pragma once

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace rxp::testkit {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Reply {
  int status = 0;  // 0: no answer (the connection failed)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == lower(name)) return v;
    return {};
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpsClient {
 public:
  HttpsClient(uint16_t port, const std::string& ca_file, std::string user_agent = "rxp-test/1.0")
      : port_(port), ua_(std::move(user_agent)) {
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(ssl::verify_peer);
  }

  std::map<std::string, std::string> jar;  // cookies: name -> value
  std::string csrf;                        // sent as X-CSRF-Token on POSTs when set
  std::string bearer;                      // sent as Authorization: Bearer when set

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const Headers& extra = {}) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = static_cast<bool>(stream_);
      beast::error_code ec;
      if (!stream_ && !connect(ec)) return {};
      Reply r = exchange(method, target, body, extra, ec);
      if (!ec) return r;
      stream_.reset();
      if (!reused) return r;  // a fresh connection failed: report it
    }
    return {};
  }
  Reply post(const std::string& target, const nlohmann::json& body = nullptr, const Headers& extra = {}) {
    return call("POST", target, body.is_null() ? std::string() : body.dump(), extra);
  }
  Reply get(const std::string& target) { return call("GET", target); }

  // Sends only the header of a request that announces `content_length` bytes, then reads.
  Reply send_header_only(const std::string& target, size_t content_length) {
    beast::error_code ec;
    stream_.reset();
    if (!connect(ec)) return {};
    http::request<http::empty_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::content_length, std::to_string(content_length));
    http::request_serializer<http::empty_body> sr{req};
    http::write_header(*stream_, sr, ec);
    if (ec) return {};
    return read_reply(ec);
  }
  void disconnect() { stream_.reset(); }

 private:
  bool connect(beast::error_code& ec) {
    buffer_.consume(buffer_.size());
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx_);
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    auto& low = beast::get_lowest_layer(*stream_);
    low.expires_after(std::chrono::seconds(10));
    low.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    if (!ec) stream_->handshake(ssl::stream_base::client, ec);
    if (ec) stream_.reset();
    return !ec;
  }

  Reply exchange(const std::string& method, const std::string& target, const std::string& body,
                 const Headers& extra, beast::error_code& ec) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::user_agent, ua_);
    std::string cookies;
    for (const auto& [k, v] : jar) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) req.set(http::field::cookie, cookies);
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!csrf.empty() && method != "GET") req.set("X-CSRF-Token", csrf);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : extra) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(10));
    http::write(*stream_, req, ec);
    if (ec) return {};
    return read_reply(ec);
  }

  Reply read_reply(beast::error_code& ec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(10));
    http::read(*stream_, buffer_, parser, ec);
    if (ec) return {};
    if (parser.get().result_int() == 100) return read_reply(ec);  // interim: the answer follows
    auto res = parser.release();
    Reply r;
    r.status = static_cast<int>(res.result_int());
    for (const auto& f : res) r.headers.emplace_back(lower(std::string(f.name_string())), std::string(f.value()));
    r.body = res.body();
    for (const auto& [k, v] : r.headers)
      if (k == "set-cookie") remember(v);
    if (!res.keep_alive()) stream_.reset();
    return r;
  }

  void remember(const std::string& set_cookie) {
    auto eq = set_cookie.find('=');
    auto semi = set_cookie.find(';');
    if (eq == std::string::npos) return;
    std::string name = set_cookie.substr(0, eq);
    std::string value = set_cookie.substr(eq + 1, semi == std::string::npos ? std::string::npos : semi - eq - 1);
    if (set_cookie.find("Max-Age=0") != std::string::npos) jar.erase(name);
    else jar[name] = value;
  }

  net::io_context ioc_;
  ssl::context ctx_{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  uint16_t port_;
  std::string ua_;
};

}  // namespace rxp::testkit
