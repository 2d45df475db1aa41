// Umbrella header of the header-only CPU tile library (namespace pto::tile) used by the
// kernels that the cpu_sim code generator emits. See docs/tile-library.md for the API,
// numerics and the compile flags generated kernels use (g++ -O2 -march=native).
#pragma once

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Elementwise.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Matmul.h"
#include "pto/wsp/tile/MatmulGlobal.h"
#include "pto/wsp/tile/Reduce.h"
#include "pto/wsp/tile/Sort.h"
#include "pto/wsp/tile/Tile.h"
#include "pto/wsp/tile/Unary.h"
