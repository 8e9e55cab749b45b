# Helpers that give every sheaf target the same warnings and sanitizer flags.
# Warnings apply to our own targets only, never to dependencies.

set(SHEAF_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
                   -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
                   # Designated initialisers may leave defaulted members out; -Wextra would flag it.
                   -Wno-missing-field-initializers)

function(sheaf_configure_target target)
  target_compile_options(${target} PRIVATE ${SHEAF_WARNINGS})
  if(SHEAF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(SHEAF_BUILD_FUZZERS)
    # Coverage for libFuzzer in every library, plus the sanitizers that turn
    # memory errors into findings.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(SHEAF_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# sheaf_library(NAME SOURCES... DEPS...): one static library per module.
function(sheaf_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sheaf_${name} STATIC ${ARG_SOURCES})
  target_include_directories(sheaf_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(sheaf_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  sheaf_configure_target(sheaf_${name})
endfunction()

# sheaf_test(NAME [SERIAL] [LOCK NAME] [COST N] [TIMEOUT S] SOURCES... DEPS... [LABELS...]):
# one GoogleTest executable per module. SERIAL tests run alone, for those that
# measure time against a reference run and would be skewed by tests running
# beside them. LOCK names a ctest resource lock: tests holding the same one
# never run at once, but run beside everything else (for suites that share a
# work directory). COST orders a fresh run, which has no timings yet: the
# highest cost starts first, so the long suites do not make the tail.
# TIMEOUT replaces the 600 s limit of each test.
# LABELS are ctest labels ("mirror": needs the host's Debian mirror).
function(sheaf_test name)
  if(NOT SHEAF_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "SERIAL" "LOCK;COST;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  sheaf_configure_target(${name})
  target_compile_definitions(${name} PRIVATE
    SHEAF_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SHEAF_BINARY="$<TARGET_FILE:sheaf>")
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  set(timeout 600)
  if(ARG_TIMEOUT)
    set(timeout ${ARG_TIMEOUT})
  endif()
  set(extra)
  if(ARG_LOCK)
    list(APPEND extra RESOURCE_LOCK ${ARG_LOCK})
  endif()
  if(ARG_COST)
    list(APPEND extra COST ${ARG_COST})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${timeout} RUN_SERIAL ${serial} LABELS "${labels}" ${extra})
endfunction()
