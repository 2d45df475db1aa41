// Planted violation: the runtime core includes the nested host layer it may not use.
#include "pto/wsp/runtime/host/Exec.h"
