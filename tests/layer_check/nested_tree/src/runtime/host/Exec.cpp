// Allowed: the nested host layer uses the core it declares.
#include "pto/wsp/runtime/TaskSink.h"
