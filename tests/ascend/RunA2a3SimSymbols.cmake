# "Another symbol value rebuilds nothing" on a real pto-runtime + PTO-ISA checkout
# (docs/ascend.md): under each runtime, tests/ascend/data/scaled.wsp runs twice with
# different --set values of its size symbol; both runs must pass their output check, run
# a different number of tasks, and the second must compile nothing (every kernel, the
# orchestration and the host launcher reused). Runs only when PTO_RUNTIME_ROOT and
# PTO_ISA_ROOT are set; otherwise it says so and ctest reports it skipped.
# -DCMD=ptowsp -DSRC=<source dir> -DCACHE=<cache dir> -DRUNTIMES=x@@y
if("$ENV{PTO_RUNTIME_ROOT}" STREQUAL "" OR "$ENV{PTO_ISA_ROOT}" STREQUAL "")
  message("SKIPPED: set PTO_RUNTIME_ROOT (a pto-runtime checkout with its a2a3sim runtimes built) and "
          "PTO_ISA_ROOT (a PTO-ISA checkout) to run the emitted trees on a2a3sim")
  return()
endif()
string(REPLACE "@@" ";" runtimes "${RUNTIMES}")
set(failed "")
foreach(rt IN LISTS runtimes)
  set(run 0)
  foreach(rows 64 96)
    math(EXPR run "${run} + 1")
    execute_process(COMMAND ${CMD} run ${SRC}/tests/ascend/data/scaled.wsp --target ascend --runtime ${rt}
                            --set R=${rows} --cache-dir ${CACHE}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    string(REGEX MATCH "ascend: compiles [^\n]*" compiles "${out}")
    string(REGEX MATCH "ascend: tasks [0-9]+" tasks "${out}")
    string(REGEX MATCH "ascend vs cpu_sim: [^\n]*" check "${out}")
    message("scaled R=${rows} ${rt} (run ${run}): ${compiles}; ${tasks}; ${check}")
    math(EXPR want "${rows} / 16")
    if(NOT rc EQUAL 0 OR NOT check MATCHES "check passed" OR NOT tasks STREQUAL "ascend: tasks ${want}")
      string(REGEX REPLACE "\\[[^]\n]*\\]\\[[^]\n]*\\]\\[INFO[^\n]*\n" "" err "${err}")
      message("scaled R=${rows} under ${rt} failed (exit ${rc}):\n${out}\n${err}")
      list(APPEND failed "R=${rows}/${rt}")
    elseif(run EQUAL 2 AND NOT compiles MATCHES "^ascend: compiles 0 ")
      message("scaled R=${rows} under ${rt} rebuilt objects after a --set change: ${compiles}")
      list(APPEND failed "R=${rows}/${rt} rebuilt")
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "failed on a2a3sim: ${failed}")
endif()
