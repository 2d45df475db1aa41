# ptowsp_layer(NAME DEPS <layers...> [LIBS <external libs...>])
# Declares library target ptowsp_<NAME> from src/<dir>/**/*.cpp, where <dir> is NAME with
# each '_' read as '/': layer `runtime_host` lives in src/runtime/host/ and
# include/pto/wsp/runtime/host/. A subfolder with its own CMakeLists.txt is such a nested
# layer and is not part of the enclosing one (src/runtime/policies/ is part of runtime,
# src/runtime/host/ is not). Sources are globbed so that adding a file never needs a
# CMakeLists edit; the allowed dependency set is the only thing a layer's CMakeLists states.
# cmake/CheckLayers.cmake applies the same name <-> folder rule to includes.
function(ptowsp_layer name)
  cmake_parse_arguments(L "" "" "DEPS;LIBS" ${ARGN})
  string(REPLACE "_" "/" dir "${name}")
  set(root ${PROJECT_SOURCE_DIR}/src/${dir})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${root}/*.cpp)
  file(GLOB_RECURSE nested CONFIGURE_DEPENDS ${root}/*/CMakeLists.txt)
  foreach(cml IN LISTS nested)
    get_filename_component(sub ${cml} DIRECTORY)
    list(FILTER srcs EXCLUDE REGEX "^${sub}/")
  endforeach()
  if(srcs)
    add_library(ptowsp_${name} STATIC ${srcs})
    set(vis PUBLIC)
  else()
    add_library(ptowsp_${name} INTERFACE)
    set(vis INTERFACE)
  endif()
  target_include_directories(ptowsp_${name} ${vis} ${PROJECT_SOURCE_DIR}/include)
  foreach(dep IN LISTS L_DEPS)
    target_link_libraries(ptowsp_${name} ${vis} ptowsp_${dep})
  endforeach()
  if(L_LIBS)
    target_link_libraries(ptowsp_${name} ${vis} ${L_LIBS})
  endif()
  if(srcs)
    target_link_libraries(ptowsp_${name} PRIVATE ptowsp_warnings)
    set_target_properties(ptowsp_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  add_library(ptowsp::${name} ALIAS ptowsp_${name})
endfunction()
