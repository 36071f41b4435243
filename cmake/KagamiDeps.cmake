# All third-party dependencies come from Debian packages (scripts/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(HS REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(DEFLATE REQUIRED IMPORTED_TARGET libdeflate)
pkg_check_modules(YAMLCPP REQUIRED IMPORTED_TARGET yaml-cpp)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(LIBMAGIC REQUIRED IMPORTED_TARGET libmagic)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
find_package(absl REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
if(KAGAMI_TESTS)
  find_package(GTest REQUIRED)
endif()
if(KAGAMI_BENCH AND NOT KAGAMI_FUZZ)
  find_package(benchmark REQUIRED)
endif()

# kagami_library(NAME DEPS...) builds every .cc in the calling folder into one
# static library; headers in the folder are public, included from the root.
function(kagami_library name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${KAGAMI_ROOT})
  target_link_libraries(${name} PUBLIC ${ARGN})
endfunction()

# kagami_test(NAME DEPS...) builds every *_test.cc in the calling folder into
# one GoogleTest binary registered with CTest.
function(kagami_test name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main GTest::gmock)
  include(GoogleTest)
  # KAGAMI_GEN: the traffic generator, for tests that make their captures
  # with it (not built in fuzz builds, where no test uses it). It is set
  # through ENVIRONMENT_MODIFICATION because gtest_discover_tests splits a
  # two-entry ENVIRONMENT list into separate arguments.
  set(props ENVIRONMENT "KAGAMI_BINARY=$<TARGET_FILE:kagami>")
  if(NOT KAGAMI_FUZZ)
    list(APPEND props ENVIRONMENT_MODIFICATION "KAGAMI_GEN=set:$<TARGET_FILE:kagami-gen>")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()

# kagami_fuzzer(NAME SOURCE DEPS...) — a libFuzzer target (fuzz preset only).
function(kagami_fuzzer name source)
  if(NOT KAGAMI_FUZZ)
    return()
  endif()
  add_executable(${name} ${source})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARGN})
endfunction()
