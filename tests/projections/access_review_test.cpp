// The access review and dormant-role removal: the pure rule, the view over a real log, and
// the removal at 90 days through the real user actors with the simulated clock.
#define BOOST_TEST_MODULE access_review
#include <boost/test/unit_test.hpp>

#include "actors/runtime.hpp"
#include "projections/access_review.hpp"
#include "tests/projections/fixtures.hpp"

using namespace rxp;
using namespace rxp::projections;
using rxp::testkit::TestLog;

namespace {

constexpr int64_t kSec = 1'000'000;
constexpr int64_t kDay = 24 * 3600 * kSec;
const char* kPassword = "correct horse battery staple";

std::vector<AccessGrant> review_of(TestLog& t) {
  auto db = ReadModelDb::open(testkit::read_model_path(t), true);
  BOOST_REQUIRE(db);
  auto rows = access_review(**db);
  BOOST_REQUIRE_MESSAGE(rows, rows.status().to_string());
  return *rows;
}

const AccessGrant* find(const std::vector<AccessGrant>& g, const std::string& kind, const std::string& subject,
                        const std::string& object) {
  for (const auto& x : g)
    if (x.kind == kind && x.subject_id == subject && x.object_id == object) return &x;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(only_active_elevated_roles_unused_for_90_days_are_dormant) {
  const int64_t now = 200 * kDay;
  std::vector<AccessGrant> g = {
      {"role", "u1", "clinician", "", 10 * kDay, 0, 0, 0},                     // granted, never used: dormant
      {"role", "u2", "admin", "", 10 * kDay, 0, 0, 150 * kDay},                // used 50 days ago
      {"role", "u3", "patient", "", 10 * kDay, 0, 0, 0},                       // not elevated
      {"role", "u4", "auditor", "", 10 * kDay, 0, 100 * kDay, 0},              // already ended
      {"role", "u5", "pharmacist", "", 120 * kDay, 0, 0, 0},                   // granted 80 days ago
      {"role", "u6", "auditor", "", 10 * kDay, 0, 0, 110 * kDay},              // exactly 90 days: dormant
      {"care", "u1", "pt-1", "", 10 * kDay, 0, 0, 0},                          // not a role
  };
  auto d = dormant_roles(g, now);
  BOOST_REQUIRE_EQUAL(d.size(), 2u);
  BOOST_TEST(d[0].subject_id == "u1");
  BOOST_TEST(d[1].subject_id == "u6");
}

BOOST_AUTO_TEST_CASE(the_review_lists_every_grant_with_its_last_use) {
  TestLog t;
  auto put = [&](const std::string& stream, const events::DomainEvent& e, events::Principal who) {
    BOOST_REQUIRE(t.log->append(events::AppendRequest{stream, events::kAnyVersion, {events::make_pending(e, who)}}));
    t.clock.advance_us(kDay);
  };
  const events::Principal sys{"system", "system", ""}, admin{"usr-adm", "admin", "ses-a"};
  put("user/usr-doc", events::UserRegistered{"doc", {"clinician"}, ""}, sys);
  put("user/usr-mum", events::UserRegistered{"mum", {"proxy"}, ""}, sys);
  put("record/pt-1", events::CareRelationshipAdded{"usr-doc", 0}, admin);
  put("record/pt-1", events::ProxyGranted{"grt-1", "usr-mum", {"medications"}, t.clock.now_us() + 30 * kDay, true}, admin);
  const int64_t viewed_at = t.clock.now_us();
  put("record/pt-1", events::RecordViewed{"medications", "treatment"}, {"usr-doc", "clinician", "ses-d"});
  put("record/pt-1", events::ProxyRevoked{"grt-1"}, admin);
  put("user/usr-doc", events::RoleGranted{"auditor"}, admin);
  auto runner = testkit::open_runner(t);
  BOOST_REQUIRE(runner->catch_up().is_ok());
  auto g = review_of(t);
  const auto* role = find(g, "role", "usr-doc", "clinician");
  BOOST_REQUIRE(role);
  BOOST_TEST(role->last_used_at_us == viewed_at);
  const auto* care = find(g, "care", "usr-doc", "pt-1");
  BOOST_REQUIRE(care);
  BOOST_TEST(care->last_used_at_us == viewed_at);
  BOOST_TEST(care->ended_at_us == 0);
  const auto* proxy = find(g, "proxy", "usr-mum", "pt-1");
  BOOST_REQUIRE(proxy);
  BOOST_TEST(proxy->grant_id == "grt-1");
  BOOST_TEST(proxy->last_used_at_us == 0);
  BOOST_TEST(proxy->ended_at_us != 0);
  BOOST_REQUIRE(find(g, "role", "usr-doc", "auditor"));
  BOOST_TEST(find(g, "role", "usr-adm", "admin") == nullptr);  // never registered here
  BOOST_REQUIRE(runner->rebuild(AccessReviewProjection::kName).is_ok());
  BOOST_TEST((review_of(t) == g));
}

BOOST_AUTO_TEST_CASE(dormant_roles_are_removed_at_90_days_by_commands_to_the_user_actors) {
  TestLog t;
  actors::RuntimeOptions o;
  o.identity.password = identity::minimum_password_params();
  auto rt = std::make_unique<actors::Runtime>(*t.log, t.clock, o);
  auto enrol = [&](const std::string& name) {
    std::string id = identity::fresh_id("usr-");
    auto claim = rt->call(actors::DirectoryRequest{actors::ClaimUsername{name, id}, "c"});
    BOOST_REQUIRE(claim.outcome == identity::UserOutcome::kOk);
    actors::UserRequest reg;
    reg.user_id = id;
    reg.command = identity::Register{claim.username, {"clinician"}, "", ""};
    reg.password = actors::make_secret(kPassword);
    auto r = rt->call(reg);
    BOOST_REQUIRE_MESSAGE(r.outcome == identity::UserOutcome::kOk, r.reason);
    return id;
  };
  const std::string idle = enrol("idle.doc"), busy = enrol("busy.doc");
  t.clock.advance_us(2 * kDay);
  // busy.doc signs in (password only: still in the enrollment grace): the role is used.
  auto login = rt->call(actors::DirectoryRequest{actors::LoginAttempt{"busy.doc", actors::make_secret(kPassword), "192.0.2.1", "dev"}, "c"});
  BOOST_REQUIRE_MESSAGE(login.login.session.has_value(), login.login.reason);
  auto runner = testkit::open_runner(t);
  auto revoke = [&](const AccessGrant& g) {
    actors::UserRequest req{g.subject_id, identity::RevokeRole{g.object_id, "dormant", {}}};
    auto r = rt->call(req);
    return r.outcome == identity::UserOutcome::kOk ? Status::ok() : Status(ErrorCode::kInternal, r.reason);
  };
  auto sweep = [&] {
    BOOST_REQUIRE(runner->catch_up().is_ok());
    auto db = ReadModelDb::open(testkit::read_model_path(t), true);
    BOOST_REQUIRE(db);
    auto n = sweep_dormant_roles(**db, t.clock.now_us(), revoke);
    BOOST_REQUIRE_MESSAGE(n, n.status().to_string());
    BOOST_REQUIRE(runner->catch_up().is_ok());
    return *n;
  };
  t.clock.advance_us(80 * kDay);  // day 82: nobody is dormant yet
  BOOST_TEST(sweep() == 0u);
  t.clock.advance_us(9 * kDay);  // day 91: idle.doc's role, granted on day 0, was never used
  BOOST_TEST(sweep() == 1u);
  auto g = review_of(t);
  BOOST_TEST(find(g, "role", idle, "clinician")->ended_at_us != 0);
  BOOST_TEST(find(g, "role", busy, "clinician")->ended_at_us == 0);
  // The removal is a RoleRevoked event with reason "dormant" on the user's stream.
  auto stream = t.log->read_stream("user/" + idle);
  BOOST_REQUIRE(stream);
  bool revoked = false;
  for (const auto& e : *stream)
    if (const auto* r = e.payload ? std::get_if<events::RoleRevoked>(&*e.payload) : nullptr)
      revoked = r->role == "clinician" && r->reason == "dormant";
  BOOST_TEST(revoked);
  BOOST_TEST(sweep() == 0u);        // nothing twice
  t.clock.advance_us(2 * kDay);     // day 93: busy.doc last used the role on day 2
  BOOST_TEST(sweep() == 1u);
  rt.reset();
}
