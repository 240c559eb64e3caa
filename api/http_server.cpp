// Listener and sessions in the pattern of Beast's async-ssl example (boost-1.74.0), with the
// edge's limits, timeouts and hand-off (http_server.hpp).
#include "api/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/response.hpp"
#include "api/metrics.hpp"
#include "api/tls.hpp"

namespace rxp::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class Session;

// What the listener, the sessions and the hand-off callbacks share.
struct Shared {
  Shared(ServerOptions o, HttpServer::Handler h) : options(std::move(o)), handler(std::move(h)), limiter(options.rate) {}
  ServerOptions options;
  HttpServer::Handler handler;
  RateLimiter limiter;
  std::atomic<size_t> connections{0};
  // Sessions waiting for their handler's answer are kept here (not by the callback), so that
  // stop() can release them while the io_context still exists.
  std::mutex mu;
  bool alive = true;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Session>> waiting;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), ctx), shared_(std::move(shared)) {
    ++shared_->connections;
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? std::string("unknown") : ep.address().to_string();
    executor_ = stream_.get_executor();
  }
  ~Session() { --shared_->connections; }

  void run() { net::dispatch(executor_, beast::bind_front_handler(&Session::on_run, shared_from_this())); }

  // From any thread: the handler's answer, to be written on this connection's strand.
  static void deliver(const std::shared_ptr<Shared>& shared, uint64_t id, HttpResponse r) {
    std::lock_guard lock(shared->mu);
    if (!shared->alive) return;
    auto it = shared->waiting.find(id);
    if (it == shared->waiting.end()) return;
    auto self = std::move(it->second);
    shared->waiting.erase(it);
    auto ex = self->executor_;
    net::post(ex, [self = std::move(self), r = std::move(r)]() mutable { self->write(std::move(r), false); });
  }

 private:
  const ServerOptions& opt() const { return shared_->options; }

  void on_run() {
    beast::get_lowest_layer(stream_).expires_after(opt().header_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {  // not TLS, wrong version or cipher, or too slow: nothing to answer
      if (ec != net::error::operation_aborted && opt().metrics) opt().metrics->tls_handshake_failed();
      return;
    }
    read_next();
  }

  void read_next() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(opt().header_limit));
    parser_->body_limit(opt().body_limit);
    beast::get_lowest_layer(stream_).expires_after(first_ ? opt().header_timeout : opt().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  // An answer for a request the server itself refuses; true when there was one.
  bool refuse_on(beast::error_code ec) {
    linger_ = true;  // the client may still be sending what was refused
    if (ec == http::error::header_limit)
      return refuse(error_response(431, "header_too_large", "request headers are too large")), true;
    if (ec == http::error::body_limit)
      return refuse(error_response(413, "too_large", "request body is too large")), true;
    if (ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return refuse(error_response(400, "bad_request", "the request could not be parsed")), true;
    return false;
  }
  void refuse(HttpResponse r) {
    if (opt().metrics) opt().metrics->refused(r.status);
    write(std::move(r), true);
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) {
      if (!refuse_on(ec)) close();
      return;
    }
    if (int64_t wait = shared_->limiter.take(peer_, steady_us()); wait > 0) {
      linger_ = true;
      if (opt().metrics) opt().metrics->rate_limited();
      return write(rate_limited_response(wait), true);  // the body stays unread: close after
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      // The client waits for this before it sends the body (curl does, for large bodies).
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      beast::get_lowest_layer(stream_).expires_after(opt().write_timeout);
      return http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
        if (ec) return;
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    beast::get_lowest_layer(stream_).expires_after(opt().body_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (!refuse_on(ec)) close();
      return;
    }
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    HttpRequest hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(req.target());
    for (const auto& f : req) {
      auto name = f.name();
      if (name == http::field::cookie) {
        if (!hr.cookie.empty()) hr.cookie += "; ";
        hr.cookie += std::string(f.value());
      }
    }
    hr.authorization = std::string(req[http::field::authorization]);
    hr.csrf_token = std::string(req["X-CSRF-Token"]);
    hr.user_agent = std::string(req[http::field::user_agent]);
    hr.content_type = std::string(req[http::field::content_type]);
    hr.body = std::move(req.body());
    hr.source_ip = peer_;
    beast::get_lowest_layer(stream_).expires_never();
    uint64_t id;
    {
      std::lock_guard lock(shared_->mu);
      if (!shared_->alive) return;
      id = shared_->next_id++;
      shared_->waiting.emplace(id, shared_from_this());
    }
    auto shared = shared_;
    shared_->handler(std::move(hr), [shared, id](HttpResponse r) { deliver(shared, id, std::move(r)); });
  }

  void write(HttpResponse r, bool close_after) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    for (const auto& [k, v] : security_headers()) res->set(k, v);
    bool typed = std::any_of(r.headers.begin(), r.headers.end(),
                             [](const auto& h) { return beast::iequals(h.first, "Content-Type"); });
    if (!r.body.empty() && !typed) res->set(http::field::content_type, "application/json");
    for (const auto& [k, v] : r.headers) res->insert(k, v);
    res->body() = std::move(r.body);
    close_after_ = close_after || !keep_alive_;
    res->keep_alive(!close_after_);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(opt().write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    if (ec) return;
    if (close_after_ && linger_) return drain();
    if (close_after_) return close();
    first_ = false;
    read_next();
  }

  // After refusing a request whose rest may still be arriving: read and discard it for a
  // moment (bounded in time and bytes), so that closing does not reset the connection before
  // the client has read the answer; then close without waiting for TLS close_notify.
  void drain() {
    if (drain_left_ == 0) drain_left_ = 4 * 1024 * 1024;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_read_some(net::buffer(drain_buf_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec || n >= self->drain_left_) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(self->stream_).close();
        return;
      }
      self->drain_left_ -= n;
      self->drain();
    });
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(self->stream_).close();
    });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  net::any_io_executor executor_;
  std::string peer_;
  bool first_ = true;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool linger_ = false;
  size_t drain_left_ = 0;
  std::array<char, 16 * 1024> drain_buf_{};
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, ssl::context& ctx, std::shared_ptr<Shared> shared)
      : ioc_(ioc), ctx_(ctx), acceptor_(net::make_strand(ioc)), shared_(std::move(shared)) {}

  Status listen(const tcp::endpoint& ep) {
    beast::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status(ErrorCode::kIo, "cannot listen on " + ep.address().to_string() + ":" +
                                              std::to_string(ep.port()) + ": " + ec.message());
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::ok();
  }
  uint16_t port() const { return port_; }
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }
  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (shared_->connections.load() >= shared_->options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), ctx_, shared_)->run();
      }
    }
    accept();
  }

  net::io_context& ioc_;
  ssl::context& ctx_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  uint16_t port_ = 0;
};

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions o, Handler h)
      : shared(std::make_shared<Shared>(std::move(o), std::move(h))),
        ioc(static_cast<int>(std::max(1u, shared->options.io_threads))) {}
  std::shared_ptr<Shared> shared;
  ssl::context ctx{ssl::context::tls_server};
  net::io_context ioc;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  bool stopped = false;
};

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  auto& o = impl_->shared->options;
  if (Status st = configure_server_tls(impl_->ctx.native_handle(), o.cert_path, o.key_path); !st) return st;
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, "listen address " + o.host + " is not an IP address");
  impl_->listener = std::make_shared<Listener>(impl_->ioc, impl_->ctx, impl_->shared);
  if (Status st = impl_->listener->listen(tcp::endpoint(address, o.port)); !st) return st;
  impl_->listener->accept();
  for (unsigned i = 0; i < std::max(1u, o.io_threads); ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return Status::ok();
}

uint16_t HttpServer::port() const { return impl_->listener ? impl_->listener->port() : 0; }

void HttpServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  std::unordered_map<uint64_t, std::shared_ptr<Session>> orphans;
  {
    std::lock_guard lock(impl_->shared->mu);
    impl_->shared->alive = false;
    orphans.swap(impl_->shared->waiting);
  }
  if (impl_->listener) impl_->listener->close();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  orphans.clear();  // sessions whose answers never came: closed while their io_context exists
  impl_->listener.reset();
}

Status parse_listen(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT");
  std::string h = text.substr(0, colon), p = text.substr(colon + 1);
  if (h.front() == '[') {
    if (h.back() != ']') return Status(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT");
    h = h.substr(1, h.size() - 2);
  }
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return Status(ErrorCode::kInvalidArgument, "--listen port must be a number");
  unsigned long n = std::stoul(p);
  if (n > 65535) return Status(ErrorCode::kInvalidArgument, "--listen port must be at most 65535");
  beast::error_code ec;
  net::ip::make_address(h, ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, "--listen host must be an IP address");
  host = h;
  port = static_cast<uint16_t>(n);
  return Status::ok();
}

}  // namespace rxp::api
