// The routes of the record writes and of administration (api/router.cpp), pure.
#define BOOST_TEST_MODULE api_router_writes
#include <boost/test/unit_test.hpp>

#include "api/router.hpp"

using namespace rxp::api;

BOOST_AUTO_TEST_CASE(writes_share_their_paths_with_the_section_reads) {
  auto read = match_route("GET", "/v1/patients/pt-1/medications");
  BOOST_REQUIRE(read && read->method_allowed);
  BOOST_CHECK(read->route == Route::kPatientSection);
  auto add = match_route("POST", "/v1/patients/pt-1/medications");
  BOOST_REQUIRE(add && add->method_allowed);
  BOOST_CHECK(add->route == Route::kMedicationAdd);
  BOOST_CHECK_EQUAL(add->param, "pt-1");
  auto report = match_route("POST", "/v1/patients/pt-1/adverse-events");
  BOOST_REQUIRE(report && report->method_allowed);
  BOOST_CHECK(report->route == Route::kAdverseEventReport);
  auto other = match_route("PUT", "/v1/patients/pt-1/adverse-events");
  BOOST_REQUIRE(other);
  BOOST_CHECK(!other->method_allowed);
  BOOST_CHECK_EQUAL(other->allow, "GET, POST");
  // Sections without a write stay read-only.
  auto pgx = match_route("POST", "/v1/patients/pt-1/pgx");
  BOOST_REQUIRE(pgx);
  BOOST_CHECK(!pgx->method_allowed);
  BOOST_CHECK_EQUAL(pgx->allow, "GET");
}

BOOST_AUTO_TEST_CASE(break_glass_and_proxies) {
  BOOST_CHECK(match_route("POST", "/v1/patients/pt-1/break-glass")->route == Route::kBreakGlass);
  BOOST_CHECK(!match_route("GET", "/v1/patients/pt-1/break-glass")->method_allowed);
  BOOST_CHECK(match_route("POST", "/v1/patients/pt-1/proxies")->route == Route::kProxyGrant);
  auto revoke = match_route("DELETE", "/v1/patients/pt-1/proxies/gr-9");
  BOOST_REQUIRE(revoke && revoke->method_allowed);
  BOOST_CHECK(revoke->route == Route::kProxyRevoke);
  BOOST_CHECK_EQUAL(revoke->param, "pt-1");
  BOOST_CHECK_EQUAL(revoke->param2, "gr-9");
  BOOST_CHECK(!match_route("POST", "/v1/patients/pt-1/proxies/gr-9")->method_allowed);
  BOOST_CHECK(!match_route("DELETE", "/v1/patients/pt-1/proxies/gr-9/x"));
  BOOST_CHECK(!match_route("DELETE", "/v1/patients/pt-1/proxies/"));
}

BOOST_AUTO_TEST_CASE(administration) {
  BOOST_CHECK(match_route("POST", "/v1/admin/users")->route == Route::kAdminUserCreate);
  BOOST_CHECK(match_route("POST", "/v1/admin/care-relationships")->route == Route::kAdminCareAdd);
  auto grant = match_route("POST", "/v1/admin/users/usr-1/roles");
  BOOST_REQUIRE(grant && grant->method_allowed);
  BOOST_CHECK(grant->route == Route::kAdminRoleGrant);
  BOOST_CHECK_EQUAL(grant->param, "usr-1");
  auto revoke = match_route("DELETE", "/v1/admin/users/usr-1/roles/pharmacist");
  BOOST_REQUIRE(revoke && revoke->method_allowed);
  BOOST_CHECK(revoke->route == Route::kAdminRoleRevoke);
  BOOST_CHECK_EQUAL(revoke->param, "usr-1");
  BOOST_CHECK_EQUAL(revoke->param2, "pharmacist");
  BOOST_CHECK(!match_route("GET", "/v1/admin/users")->method_allowed);
  BOOST_CHECK(!match_route("POST", "/v1/admin/users/usr-1"));
  BOOST_CHECK(!match_route("POST", "/v1/admin"));
  for (auto r : {Route::kMedicationAdd, Route::kBreakGlass, Route::kProxyRevoke, Route::kAdminUserCreate,
                 Route::kAdminRoleRevoke, Route::kAdminCareAdd})
    BOOST_CHECK(needs_session(r));
}
