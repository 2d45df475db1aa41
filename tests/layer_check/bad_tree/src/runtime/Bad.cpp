// Planted violation: the runtime must never see compiler headers.
#include "pto/wsp/ir/Module.h"
