#define BOOST_TEST_MODULE x
#include <boost/test/unit_test.hpp>
BOOST_AUTO_TEST_CASE(placeholder) { BOOST_CHECK(1 + 1 == 2); }
