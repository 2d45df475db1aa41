# Runs `ptowsp ARGS` (its stdout, or the file DOT_FILE it writes, must be Graphviz DOT),
# renders it with `dot -Tsvg` and checks that the SVG names every string in MUST_CONTAIN.
#   -DCMD=<ptowsp> -DARGS=<list joined with @@> -DDOT=<dot> -DMUST_CONTAIN=<joined with @@> -DOUT=<svg>
#   [-DDOT_FILE=<path>]
# Without Graphviz it prints "SKIP: graphviz ..." (the tests' SKIP_REGULAR_EXPRESSION);
# scripts/deps.sh installs it, so CI always renders.
if(NOT DOT OR NOT EXISTS "${DOT}")
  message("SKIP: graphviz 'dot' not found; scripts/deps.sh installs the graphviz package")
  return()
endif()
string(REPLACE "@@" ";" ARGS "${ARGS}")
string(REPLACE "@@" ";" MUST_CONTAIN "${MUST_CONTAIN}")
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE dot ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ptowsp exited with ${rc}\n${err}")
endif()
if(DOT_FILE)
  file(READ ${DOT_FILE} dot)
endif()
file(WRITE ${OUT}.dot "${dot}")
execute_process(COMMAND ${DOT} -Tsvg ${OUT}.dot -o ${OUT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dot -Tsvg failed (${rc}): ${err}\ninput:\n${dot}")
endif()
file(READ ${OUT} svg)
foreach(want IN LISTS MUST_CONTAIN)
  string(FIND "${svg}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the SVG of `ptowsp ${ARGS}` does not contain '${want}'\ninput:\n${dot}")
  endif()
endforeach()
