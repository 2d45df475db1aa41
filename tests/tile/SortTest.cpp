// Row sort (stable, ascending/descending, with indices) and top-k against
// std::stable_sort with an explicit comparator (NaN greater than everything).
// Tolerance: exact (sorting moves elements, it does not compute).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

// Reference order of the column indices of one row.
std::vector<int> refOrder(const std::vector<double>& v, bool desc) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto key = [&](int i) { return v[i]; };
  std::stable_sort(idx.begin(), idx.end(), [&](int x, int y) {
    const double a = key(x), b = key(y);
    const bool an = std::isnan(a), bn = std::isnan(b);
    if (an || bn) return desc ? (an && !bn) : (!an && bn);
    return desc ? a > b : a < b;
  });
  return idx;
}

template <class T, int H, int W>
void checkSort(bool withSpecials, bool fewDistinct) {
  SCOPED_TRACE(std::string(Dt<T>::kName) + " " + std::to_string(H) + "x" + std::to_string(W));
  Tile<T, H, W> s;
  randomFill(s, -50, 50, 31 + W);
  if (fewDistinct)  // many ties: stability matters
    for (int i = 0; i < H * W; ++i) s.data[i] = make<T>(std::floor(dec(s.data[i]) / 25.0));
  if (withSpecials && W > 4) {
    s(0, 1) = make<T>(kNaN);
    s(0, W - 1) = make<T>(kInf);
    s(H - 1, 2) = make<T>(-kInf);
    s(H - 1, 3) = make<T>(-0.0);
    s(H - 1, 0) = make<T>(0.0);
  }
  for (bool desc : {false, true}) {
    const auto order = desc ? pt::SortOrder::Descending : pt::SortOrder::Ascending;
    Tile<T, H, W> d;
    Tile<int32_t, H, W> ix;
    pt::sort(d, ix, s, order);
    Tile<T, H, W> d2;
    pt::sort(d2, s, order);
    for (int r = 0; r < H; ++r) {
      std::vector<double> row(W);
      for (int c = 0; c < W; ++c) row[c] = dec(s(r, c));
      const auto want = refOrder(row, desc);
      for (int c = 0; c < W; ++c) {
        ASSERT_EQ(ix(r, c), want[c]) << where(desc ? "desc" : "asc", r, c);
        ASSERT_EQ(std::memcmp(&d(r, c), &s(r, want[c]), sizeof(T)), 0) << where("value", r, c);
        ASSERT_EQ(std::memcmp(&d2(r, c), &d(r, c), sizeof(T)), 0) << where("no-index", r, c);
      }
    }
  }
  // top-k with small K (insertion path) and large K (sort path), both orders.
  auto checkTopK = [&](auto kTag, pt::SortOrder order) {
    constexpr int K = decltype(kTag)::value;
    Tile<T, H, K> vals;
    Tile<int32_t, H, K> ids;
    pt::topk(vals, ids, s, order);
    for (int r = 0; r < H; ++r) {
      std::vector<double> row(W);
      for (int c = 0; c < W; ++c) row[c] = dec(s(r, c));
      const auto want = refOrder(row, order == pt::SortOrder::Descending);
      for (int k = 0; k < K; ++k) {
        ASSERT_EQ(ids(r, k), want[k]) << where("topk", r, k) << " K=" << K;
        ASSERT_EQ(std::memcmp(&vals(r, k), &s(r, want[k]), sizeof(T)), 0);
      }
    }
  };
  checkTopK(std::integral_constant<int, 1>{}, pt::SortOrder::Descending);
  checkTopK(std::integral_constant<int, (W < 5 ? W : 5)>{}, pt::SortOrder::Descending);
  checkTopK(std::integral_constant<int, (W < 5 ? W : 5)>{}, pt::SortOrder::Ascending);
  checkTopK(std::integral_constant<int, W>{}, pt::SortOrder::Descending);
  if constexpr (W > 40) checkTopK(std::integral_constant<int, 40>{}, pt::SortOrder::Descending);
}

template <class T>
void checkSortShapes() {
  for (bool sp : {false, true})
    for (bool few : {false, true}) {
      checkSort<T, 1, 1>(sp, few);
      checkSort<T, 1, 37>(sp, few);
      checkSort<T, 37, 1>(sp, few);
      checkSort<T, 3, 5>(sp, few);
      checkSort<T, 17, 33>(sp, few);
      checkSort<T, 4, 300>(sp, few);
    }
}

TEST(Sort, F32) { checkSortShapes<float>(); }
TEST(Sort, F16) { checkSortShapes<f16>(); }
TEST(Sort, Bf16) { checkSortShapes<bf16>(); }
TEST(Sort, Int32) { checkSort<int32_t, 3, 40>(false, true); }

TEST(Sort, InPlace) {
  Tile<float, 2, 6> s = {{3, 1, 2, 1, NAN, -1, 5, 5, 4, -INFINITY, 0, 9}};
  pt::sort(s, s, pt::SortOrder::Ascending);
  const float want[12] = {-1, 1, 1, 2, 3, NAN, -INFINITY, 0, 4, 5, 5, 9};
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(sameValue(s.data[i], want[i])) << i;
}

}  // namespace
