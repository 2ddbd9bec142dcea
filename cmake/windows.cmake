# Windows (mingw-w64 cross) build: plume.exe, the layer DLL, Windows tests.
include(ExternalProject)

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
set(CMAKE_LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE
                        WIN32_LEAN_AND_MEAN)
add_link_options(-static-libgcc)

# The private Wine prefix the tests (and ./plume) run in.
set(PLUME_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix CACHE PATH
    "Wine prefix used by the tests")
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_SOURCE_DIR}/scripts/wine-run)

# --- libraries -------------------------------------------------------------
add_library(plume_core STATIC ${PLUME_CORE_SOURCES})
target_include_directories(plume_core PUBLIC ${CMAKE_SOURCE_DIR}/src/core)

# The hook engine and the injector are linked into the layer DLL, which has
# no C runtime, so they must not call it (src/layer/crt.c has mem*).
add_library(plume_hook STATIC src/hook/hook.c)
target_include_directories(plume_hook PUBLIC ${CMAKE_SOURCE_DIR}/src/hook)
target_link_libraries(plume_hook PUBLIC plume_core)

add_library(plume_inject STATIC src/inject/inject.c)
target_include_directories(plume_inject PUBLIC ${CMAKE_SOURCE_DIR}/src/inject)
target_link_libraries(plume_inject PUBLIC plume_core)

# --- the layer DLL: injected into every VM process ---------------------------
add_library(plume_layer SHARED
    src/layer/layer.c
    src/layer/proc.c
    src/layer/procview.c
    src/layer/obj.c
    src/layer/net.c
    src/layer/reg.c
    src/layer/file.c
    src/layer/svc.c
    src/layer/dispatch.c
    src/layer/htab.c
    src/layer/crt.c
    src/layer/layer.def)
set_target_properties(plume_layer PROPERTIES PREFIX "" OUTPUT_NAME plume_layer)
target_compile_options(plume_layer PRIVATE -fno-builtin -ffreestanding
                       -fno-stack-protector -fno-tree-loop-distribute-patterns)
target_link_libraries(plume_layer PRIVATE plume_hook plume_inject)
target_link_options(plume_layer PRIVATE -nostdlib -nostartfiles
                    -Wl,--entry,plume_dll_entry)
# Order matters for static libs: ours first, then the system's.
target_link_libraries(plume_layer PRIVATE ntdll kernel32 gcc)

# --- plume.exe: the CLI --------------------------------------------------------
add_executable(plume
    src/cli/main.c
    src/cli/out.c
    src/cli/cmd_vm.c
    src/cli/cmd_run.c
    src/cli/cmd_proc.c
    src/cli/winecompat.c
    src/cli/launch.c
    src/cli/vmarg.c
    src/cli/cmd_svc.c
    src/cli/cmd_state.c
    src/cli/cmd_endpoints.c
    src/store/store.c
    src/store/vmjob.c)
target_include_directories(plume PRIVATE ${CMAKE_SOURCE_DIR}/src/cli
                           ${CMAKE_SOURCE_DIR}/src/store)
target_link_options(plume PRIVATE -municode)
target_link_libraries(plume PRIVATE plume_inject plume_core ntdll psapi user32)
add_dependencies(plume plume_layer)

# --- native unit tests (ASan + UBSan), built by an inner native build --------
ExternalProject_Add(native
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/native
    CMAKE_ARGS -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug
    BUILD_ALWAYS ON
    INSTALL_COMMAND "")
foreach(t ${PLUME_UNIT_TESTS})
    add_test(NAME unit.${t} COMMAND ${CMAKE_BINARY_DIR}/native/${t})
endforeach()
foreach(t fuzz_x64dec fuzz_hookplan fuzz_vmconfig fuzz_peimport
        fuzz_ntpath fuzz_regpath fuzz_objname fuzz_scmproto)
    add_test(NAME fuzz.${t} COMMAND ${CMAKE_BINARY_DIR}/native/${t}_replay
             ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${t})
endforeach()
add_test(NAME unit.x64dec_crosscheck
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/unit/x64dec_crosscheck.sh
                 ${CMAKE_BINARY_DIR}/native/x64dec_crosscheck)

include(${CMAKE_SOURCE_DIR}/tests/win/tests.cmake)

foreach(ns net obj procview reg file svc state pg svcsys reliab)
    include(${CMAKE_SOURCE_DIR}/cmake/ns/${ns}-win.cmake)
endforeach()
include(${CMAKE_SOURCE_DIR}/cmake/ns/escape-win.cmake)
include(${CMAKE_SOURCE_DIR}/cmake/ns/fault-win.cmake)
