// rxportal siem --nats against a real nats-server (Debian's, started here on 127.0.0.1 with a
// free port and a temp dir, stopped at the end): a NATS.c subscriber receives one message per
// exported event, in global order, identical to the lines written to --out; the default
// subject is rxportal.siem; an unreachable server exits 1 without repeating the URL (it may
// hold credentials).
#define BOOST_TEST_MODULE siem_nats_test
#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/testkit/testkit.hpp"
#include "tests/tools/cli_helpers.hpp"

namespace {

using namespace rxp::clitest;

using rxp::testkit::CommandResult;
using rxp::testkit::TempDir;

std::string NatsServerBinary() {
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  BOOST_REQUIRE_EQUAL(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  BOOST_REQUIRE_EQUAL(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A throw-away nats-server on loopback; stopped (SIGTERM, then waited for) on destruction.
struct NatsServer {
  NatsServer() {
    std::string bin = NatsServerBinary();
    BOOST_REQUIRE_MESSAGE(!bin.empty(), "nats-server is not installed (scripts/install-deps.sh installs it)");
    port = FreePort();
    url = "nats://127.0.0.1:" + std::to_string(port);
    std::string log = dir.path() + "/nats.log", port_s = std::to_string(port);
    pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      if (::chdir(dir.path().c_str()) != 0) _exit(127);
      ::execl(bin.c_str(), "nats-server", "-a", "127.0.0.1", "-p", port_s.c_str(), "-l", log.c_str(),
              static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when a client connects (bounded number of attempts, no timing assertion).
    for (int i = 0; i < 400 && !nc; ++i) {
      if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) {
        nc = nullptr;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    if (!nc) stop();  // a throwing constructor runs no destructor: never leave the server behind
    BOOST_REQUIRE_MESSAGE(nc, "nats-server did not accept connections on " << url);
  }
  ~NatsServer() {
    if (nc) natsConnection_Destroy(nc);
    stop();
  }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
  }

  TempDir dir;
  int port = 0;
  std::string url;
  pid_t pid = -1;
  natsConnection* nc = nullptr;  // the test's subscriber connection
};

natsSubscription* Subscribe(NatsServer& s, const std::string& subject) {
  natsSubscription* sub = nullptr;
  BOOST_REQUIRE_EQUAL(natsConnection_SubscribeSync(&sub, s.nc, subject.c_str()), NATS_OK);
  // The server knows the subscription once a flush round-trip completes.
  BOOST_REQUIRE_EQUAL(natsConnection_Flush(s.nc), NATS_OK);
  return sub;
}

// Up to `n` messages (each waited for at most 10 s: the export has flushed before exiting, so
// they are already on their way).
std::vector<std::string> Receive(natsSubscription* sub, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, 10000) != NATS_OK) break;
    out.emplace_back(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    natsMsg_Destroy(m);
  }
  return out;
}

size_t Pending(natsSubscription* sub) {
  int msgs = 0, bytes = 0;
  natsSubscription_GetPending(sub, &msgs, &bytes);
  return static_cast<size_t>(msgs);
}

struct Demo {
  Demo() : data(tmp.path() + "/data") {
    CommandResult r = Rx("init --data " + Quote(data) + " --demo");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  }
  std::string arg() const { return "--data " + Quote(data); }
  TempDir tmp;
  std::string data;
};

}  // namespace

BOOST_AUTO_TEST_CASE(export_publishes_one_message_per_event_in_order) {
  Demo d;
  {
    NatsServer server;
    natsSubscription* ocsf = Subscribe(server, "rxp.test.siem");
    natsSubscription* fallback = Subscribe(server, "rxportal.siem");
    std::string out = d.tmp.path() + "/siem.json";
    CommandResult r = Rx("siem " + d.arg() + " --format ocsf --nats " + server.url +
                         " --subject rxp.test.siem --out " + Quote(out));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
    BOOST_CHECK(r.out.empty());
    std::ifstream f(out);
    std::stringstream ss;
    ss << f.rdbuf();
    auto lines = Lines(ss.str());
    BOOST_REQUIRE_GT(lines.size(), 5u);
    auto got = Receive(ocsf, lines.size());
    BOOST_REQUIRE_EQUAL(got.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) BOOST_CHECK_EQUAL(got[i], lines[i]);
    BOOST_CHECK_EQUAL(Pending(ocsf), 0u);     // nothing more than the file holds
    BOOST_CHECK_EQUAL(Pending(fallback), 0u);  // and nothing on the default subject

    // Default subject, CEF, NATS only: nothing on stdout.
    CommandResult cef = Rx("siem " + d.arg() + " --format cef --nats " + server.url);
    BOOST_REQUIRE_MESSAGE(cef.exit_code == 0, Describe(cef));
    BOOST_CHECK(cef.out.empty());
    auto cef_msgs = Receive(fallback, lines.size());
    BOOST_REQUIRE_EQUAL(cef_msgs.size(), lines.size());
    for (const auto& m : cef_msgs) BOOST_CHECK(m.rfind("CEF:0|rxportal|rxportal|", 0) == 0);

    // Resuming after the last position received publishes nothing new.
    auto last = nlohmann::json::parse(lines.back()).at("unmapped").at("rxportal").at("position").get<uint64_t>();
    CommandResult resume = Rx("siem " + d.arg() + " --format ocsf --nats " + server.url +
                              " --subject rxp.test.siem --after-position " + std::to_string(last));
    BOOST_REQUIRE_MESSAGE(resume.exit_code == 0, Describe(resume));
    BOOST_REQUIRE_EQUAL(natsConnection_Flush(server.nc), NATS_OK);
    BOOST_CHECK_EQUAL(Pending(ocsf), 0u);

    natsSubscription_Destroy(ocsf);
    natsSubscription_Destroy(fallback);
    int port = server.port;
    natsConnection_Destroy(server.nc);
    server.nc = nullptr;
    server.stop();

    // The server is gone: exit 1, one line, and the URL's credentials are not repeated.
    CommandResult down = Rx("siem " + d.arg() + " --format ocsf --nats nats://siem:hunter2@127.0.0.1:" +
                            std::to_string(port));
    BOOST_CHECK_EQUAL(down.exit_code, 1);
    BOOST_CHECK_EQUAL(Lines(down.err).size(), 1u);
    BOOST_CHECK(down.err.find("hunter2") == std::string::npos);
    BOOST_CHECK(down.out.empty());
  }
  nats_Close();
}
