// Planted violation: ir sits below arch.
#include "pto/wsp/arch/ArchModel.h"
