# Every third-party dependency comes from Debian 12 (+ bookworm-backports for libgit2 1.8 and
# Catch2 v3); scripts/install-deps.sh installs them. One interface target carries them all.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM} CACHE STRING "" FORCE)
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2>=1.8)
pkg_check_modules(HS REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS filesystem)

add_library(jit_deps INTERFACE)
add_library(jit::deps ALIAS jit_deps)
target_link_libraries(jit_deps INTERFACE
  PkgConfig::LIBGIT2 PkgConfig::HS PkgConfig::RE2 PkgConfig::SQLITE3 PkgConfig::LIBZIP PkgConfig::LIBDEFLATE
  yaml-cpp spdlog::spdlog nlohmann_json::nlohmann_json CLI11::CLI11 CURL::libcurl
  OpenSSL::Crypto OpenSSL::SSL Threads::Threads Boost::filesystem Boost::headers)
