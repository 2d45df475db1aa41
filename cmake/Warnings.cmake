add_library(ptowsp_warnings INTERFACE)
target_compile_options(ptowsp_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wimplicit-fallthrough
  $<$<BOOL:${PTO_WSP_WERROR}>:-Werror>)
