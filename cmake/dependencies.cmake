# Debian 12 packages only (see ../shared/LIBRARIES.md for why CAF and NATS are found by hand).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
# NATS.c 3.4.1: Debian's cnats CMake config is broken, its .pc file works (LIBRARIES.md).
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats>=3.4)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(cereal REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)

# CAF 0.17.6: Debian ships no CMake config or .pc file (LIBRARIES.md section 1).
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
add_library(CAF::core UNKNOWN IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)

# libpq 15: the PostgreSQL event store (events/pg_store.*).
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq>=15)
