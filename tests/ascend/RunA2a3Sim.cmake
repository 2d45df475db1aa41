# `ptowsp run --target ascend` on a real pto-runtime + PTO-ISA checkout (docs/ascend.md):
# every example that emits a tree, under both runtimes, must pass its output check
# against cpu_sim. Runs only when PTO_RUNTIME_ROOT and PTO_ISA_ROOT are set (the project
# never builds pto-runtime); otherwise it says so and ctest reports it skipped.
# -DCMD=ptowsp -DSRC=<source dir> -DCACHE=<cache dir> -DEXAMPLES=a@@b:runtime -DRUNTIMES=x@@y
# [-DFILES=/path/m.wsp@@...]: more modules (tests/ascend/data/ring_wrap.wsp: a task ring
# that wraps, with scopes no dependency crosses).
if("$ENV{PTO_RUNTIME_ROOT}" STREQUAL "" OR "$ENV{PTO_ISA_ROOT}" STREQUAL "")
  message("SKIPPED: set PTO_RUNTIME_ROOT (a pto-runtime checkout with its a2a3sim runtimes built) and "
          "PTO_ISA_ROOT (a PTO-ISA checkout) to run the emitted trees on a2a3sim")
  return()
endif()
string(REPLACE "@@" ";" examples "${EXAMPLES}")
string(REPLACE "@@" ";" runtimes "${RUNTIMES}")
string(REPLACE "@@" ";" files "${FILES}")
# "example:runtime" runs under that runtime only (the other refuses it at compile time).
set(modules "")
foreach(spec IN LISTS examples)
  set(only "")
  set(ex "${spec}")
  if(spec MATCHES "^([^:]+):(.+)$")
    set(ex "${CMAKE_MATCH_1}")
    set(only "${CMAKE_MATCH_2}")
  endif()
  list(APPEND modules "${SRC}/examples/${ex}/${ex}.wsp|${only}")
endforeach()
foreach(file IN LISTS files)
  list(APPEND modules "${file}|")
endforeach()
set(failed "")
foreach(rt IN LISTS runtimes)
  foreach(entry IN LISTS modules)
    string(REGEX REPLACE "\\|.*$" "" file "${entry}")
    string(REGEX REPLACE "^[^|]*\\|" "" only "${entry}")
    if(NOT only STREQUAL "" AND NOT only STREQUAL rt)
      continue()
    endif()
    get_filename_component(ex ${file} NAME_WE)
    execute_process(COMMAND ${CMD} run ${file} --target ascend --runtime ${rt}
                            --cache-dir ${CACHE}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    string(REGEX MATCH "ascend: tasks[^\n]*" timing "${out}")
    string(REGEX MATCH "ascend vs cpu_sim: [^\n]*" check "${out}")
    message("${ex} ${rt}: ${timing}; ${check}")
    if(NOT rc EQUAL 0 OR NOT check MATCHES "check passed")
      string(REGEX REPLACE "\\[[^]\n]*\\]\\[[^]\n]*\\]\\[INFO[^\n]*\n" "" err "${err}")
      message("${ex} under ${rt} failed (exit ${rc}):\n${out}\n${err}")
      list(APPEND failed "${ex}/${rt}")
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "failed on a2a3sim: ${failed}")
endif()
