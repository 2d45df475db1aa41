// TEST DOUBLE, not pto-runtime code (see pto/pto-inst.hpp in this folder).
#pragma once
inline void pipe_sync() {}
