#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "events/keyring.hpp"
#include "infra/secure.hpp"
#include "tests/testkit/testkit.hpp"

using namespace rxp;
using namespace rxp::events;
using rxp::testkit::TempDir;

BOOST_AUTO_TEST_SUITE(keyring)

BOOST_AUTO_TEST_CASE(created_key_file_is_0600_and_reopens) {
  BOOST_REQUIRE(secure_init());
  TempDir dir;
  std::string path = dir.path() + "/k";
  auto ring = KeyRing::create(path);
  BOOST_REQUIRE(ring.is_ok());
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  auto again = KeyRing::open(path);
  BOOST_REQUIRE(again.is_ok());
  BOOST_CHECK_EQUAL(again->current_kek_id(), ring->current_kek_id());
  BOOST_CHECK(!KeyRing::create(path).is_ok());  // never overwrites a key file
}

BOOST_AUTO_TEST_CASE(loose_missing_or_malformed_key_files_are_refused) {
  TempDir dir;
  std::string path = dir.path() + "/k";
  BOOST_REQUIRE(KeyRing::create(path).is_ok());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0666}) {
    ::chmod(path.c_str(), mode);
    auto r = KeyRing::open(path);
    BOOST_CHECK_MESSAGE(r.status().code() == ErrorCode::kKeyError, "mode " << std::oct << mode);
    BOOST_CHECK(r.status().message().find("chmod 600") != std::string::npos);
  }
  ::chmod(path.c_str(), 0600);
  BOOST_CHECK(KeyRing::open(path).is_ok());

  BOOST_CHECK(KeyRing::open(dir.path() + "/missing").status().code() == ErrorCode::kKeyError);

  for (std::string text : {std::string("not a key file\n"), std::string("rxportal-keyfile 1\n"),
                           std::string("rxportal-keyfile 1\nkek k1 abcd\n"),
                           std::string("rxportal-keyfile 1\nkek k1 ") + std::string(64, 'g') + "\n",
                           std::string("rxportal-keyfile 1\nkek k1 ") + std::string(64, 'a') +
                               "\nkek k1 " + std::string(64, 'b') + "\n",
                           std::string("")}) {
    std::string p = dir.path() + "/bad";
    std::filesystem::remove(p);
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    BOOST_REQUIRE(fd >= 0);
    BOOST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
    BOOST_CHECK_MESSAGE(KeyRing::open(p).status().code() == ErrorCode::kKeyError, text);
  }
}

BOOST_AUTO_TEST_CASE(wrapped_dek_unwraps_only_for_its_own_stream_and_version) {
  TempDir dir;
  auto ring = KeyRing::create(dir.path() + "/k");
  BOOST_REQUIRE(ring.is_ok());
  Key32 dek;
  auto w = ring->new_dek("record/a", 1, 0, dek);
  BOOST_REQUIRE(w.is_ok());
  auto back = ring->unwrap(*w);
  BOOST_REQUIRE(back.is_ok());
  BOOST_CHECK(secure_equal(back->view(), dek.view()));
  WrappedDek moved = *w;
  moved.stream_id = "record/b";
  BOOST_CHECK(ring->unwrap(moved).status().code() == ErrorCode::kIntegrity);
  moved = *w;
  moved.version = 2;
  BOOST_CHECK(ring->unwrap(moved).status().code() == ErrorCode::kIntegrity);
  moved = *w;
  moved.wrapped[30] ^= 1;
  BOOST_CHECK(ring->unwrap(moved).status().code() == ErrorCode::kIntegrity);
  moved = *w;
  moved.wrapped.pop_back();
  BOOST_CHECK(!ring->unwrap(moved).is_ok());
}

BOOST_AUTO_TEST_CASE(kek_rotation_rewraps_and_old_kek_is_destroyed) {
  TempDir dir;
  std::string path = dir.path() + "/k";
  auto ring = KeyRing::create(path);
  BOOST_REQUIRE(ring.is_ok());
  std::string old_id = ring->current_kek_id();
  Key32 dek;
  auto w = ring->new_dek("record/a", 1, 0, dek);
  auto added = ring->add_kek();
  BOOST_REQUIRE(added.is_ok());
  auto re = ring->rewrap(*w);
  BOOST_REQUIRE(re.is_ok());
  BOOST_CHECK_EQUAL(re->kek_id, *added);
  BOOST_CHECK(ring->remove_kek(old_id).is_ok());
  BOOST_CHECK(!ring->remove_kek(*added).is_ok());  // the current KEK stays
  auto reopened = KeyRing::open(path);
  BOOST_REQUIRE(reopened.is_ok());
  BOOST_CHECK_EQUAL(reopened->kek_ids().size(), 1u);
  BOOST_CHECK(reopened->unwrap(*re).is_ok());
  BOOST_CHECK(reopened->unwrap(*w).status().code() == ErrorCode::kKeyError);  // old KEK gone
}

BOOST_AUTO_TEST_SUITE_END()
