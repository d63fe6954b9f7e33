// bn-lab's oneDNN kernels for the tfjs wasm backend (see lib/backend/dnnl-kernels.ts).
//
// Every tensor lives in the wasm backend's heap (a WebAssembly.Memory); JavaScript passes a
// Float32Array over the whole heap plus byte offsets, and oneDNN reads and writes there in place,
// so nothing is copied. Layouts are tfjs's: activations NHWC, conv filters HWIO. The heap view is
// passed on every call because the wasm memory can grow (and move) between calls.
//
// Written against the plain N-API C interface (node-api-headers) so it builds with g++ alone, with
// no node-gyp and no Node header download.
#include <node_api.h>
#include <omp.h>

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "oneapi/dnnl/dnnl.hpp"

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine &cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream &cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

// One conv problem as tfjs describes it (NHWC input, HWIO filter), paddings already resolved.
struct Conv {
  int64_t n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  std::string key() const {
    std::string k;
    for (int64_t v : {n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr}) k += std::to_string(v) + ',';
    return k;
  }
  memory::desc src() const { return {{n, ic, ih, iw}, dt::f32, tag::nhwc}; }
  // tfjs's filter layout; the primitives choose their own (blocked) one and we reorder.
  memory::desc weights() const { return {{oc, ic, kh, kw}, dt::f32, tag::hwio}; }
  memory::desc any_weights() const { return {{oc, ic, kh, kw}, dt::f32, tag::any}; }
  memory::desc bias() const { return {{oc}, dt::f32, tag::x}; }
  memory::desc dst() const { return {{n, oc, oh, ow}, dt::f32, tag::nhwc}; }
  memory::dims strides() const { return {sh, sw}; }
  // oneDNN counts dilation from 0 (no gaps), tfjs from 1.
  memory::dims dilates() const { return {dh - 1, dw - 1}; }
  memory::dims pad_l() const { return {pt, pl}; }
  memory::dims pad_r() const { return {pb, pr}; }

  dnnl::convolution_forward::primitive_desc forward(bool with_bias, bool relu) const {
    auto d = with_bias
                 ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                   src(), any_weights(), bias(), dst(), strides(), dilates(), pad_l(), pad_r())
                 : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                   src(), any_weights(), dst(), strides(), dilates(), pad_l(), pad_r());
    dnnl::primitive_attr attr;
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    return {d, attr, cpu_engine()};
  }
};

// Primitives are costly to create (they JIT code); a training run uses a handful of shapes.
struct Cached {
  dnnl::primitive prim;
  std::string impl;
  // When the primitive wants the filter in another layout than tfjs's HWIO: a buffer in its
  // layout and the reorder between the two (to it for forward/backward data, from it for weights).
  memory internal_weights;
  dnnl::reorder weights_reorder;
  bool reorder = false;
};

// Prepares `entry` for a primitive whose filter layout is `wanted` (the user's is c.weights()).
void plan_weights(Cached &entry, const Conv &c, const memory::desc &wanted, bool to_user) {
  if (wanted == c.weights()) return;
  entry.reorder = true;
  entry.internal_weights = memory(wanted, cpu_engine());
  memory user(c.weights(), cpu_engine(), nullptr);
  entry.weights_reorder = to_user ? dnnl::reorder(entry.internal_weights, user) : dnnl::reorder(user, entry.internal_weights);
}
std::unordered_map<std::string, Cached> cache;
std::mutex cache_mutex;

template <typename Make>
Cached &cached(const std::string &key, Make make) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make()).first;
  return it->second;
}

// Below this many elements a loop runs on the calling thread: starting an OpenMP team costs
// microseconds, more than small tensors' work (iris's and LeNet's are mostly small).
constexpr int64_t kParallelMin = 1 << 16;

// ---- N-API plumbing ----

struct Error {
  std::string message;
};

#define NAPI_OK(call)                                      \
  do {                                                     \
    if ((call) != napi_ok) throw Error{"N-API call failed: " #call}; \
  } while (0)

struct Args {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  Args(napi_env e, napi_callback_info info) : env(e) {
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  }
  double number(size_t i) const {
    if (i >= argc) throw Error{"missing argument " + std::to_string(i)};
    double v;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) throw Error{"argument " + std::to_string(i) + " is not a number"};
    return v;
  }
  int64_t integer(size_t i) const { return static_cast<int64_t>(number(i)); }
};

// The heap: a Float32Array over the wasm memory (shared or not). Offsets are checked against it,
// so a wrong offset from JavaScript throws instead of writing outside the heap.
struct Heap {
  char *base = nullptr;
  size_t bytes = 0;
  Heap(const Args &a, size_t i) {
    napi_typedarray_type type;
    size_t length, offset;
    void *data;
    napi_value buffer;
    if (napi_get_typedarray_info(a.env, a.argv[i], &type, &length, &data, &buffer, &offset) != napi_ok ||
        type != napi_float32_array) {
      throw Error{"argument " + std::to_string(i) + " must be a Float32Array over the wasm heap"};
    }
    base = static_cast<char *>(data);
    bytes = length * sizeof(float);
  }
  void *at(double byte_offset, size_t floats) const {
    if (byte_offset < 0 || static_cast<size_t>(byte_offset) + floats * sizeof(float) > bytes) {
      throw Error{"tensor at byte " + std::to_string(byte_offset) + " (" + std::to_string(floats) +
                  " floats) lies outside the heap"};
    }
    return base + static_cast<size_t>(byte_offset);
  }
};

Conv conv_from(const Args &a, size_t first) {
  Conv c;
  int64_t *fields[] = {&c.n, &c.ih, &c.iw, &c.ic, &c.kh, &c.kw, &c.oc, &c.oh, &c.ow,
                       &c.sh, &c.sw, &c.dh, &c.dw, &c.pt, &c.pl, &c.pb, &c.pr};
  for (size_t i = 0; i < 17; i++) *fields[i] = a.integer(first + i);
  return c;
}

template <typename F>
napi_value guarded(napi_env env, F body) {
  try {
    return body();
  } catch (const Error &e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const dnnl::error &e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value string_value(napi_env env, const std::string &s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

// Runs a reorder between the user's HWIO filter at `user_ptr` and the entry's internal buffer.
void reorder_weights(Cached &entry, const Conv &c, void *user_ptr, bool to_user) {
  memory user(c.weights(), cpu_engine(), user_ptr);
  if (to_user) {
    entry.weights_reorder.execute(cpu_stream(), entry.internal_weights, user);
  } else {
    entry.weights_reorder.execute(cpu_stream(), user, entry.internal_weights);
  }
}

// conv2dForward(heap, x, filter, bias (-1: none), y, relu (0/1), ...17 conv fields) -> implementation name
napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    bool with_bias = a.number(3) >= 0;
    bool relu = a.number(5) != 0;
    Conv c = conv_from(a, 6);
    auto &entry = cached("f" + std::to_string(with_bias) + std::to_string(relu) + c.key(), [&] {
      auto pd = c.forward(with_bias, relu);
      Cached e{dnnl::convolution_forward(pd), pd.impl_info_str()};
      plan_weights(e, c, pd.weights_desc(), false);
      return e;
    });
    void *w_ptr = heap.at(a.number(2), c.kh * c.kw * c.ic * c.oc);
    memory src(c.src(), cpu_engine(), heap.at(a.number(1), c.n * c.ih * c.iw * c.ic));
    memory dst(c.dst(), cpu_engine(), heap.at(a.number(4), c.n * c.oh * c.ow * c.oc));
    if (entry.reorder) reorder_weights(entry, c, w_ptr, false);
    memory w = entry.reorder ? entry.internal_weights : memory(c.weights(), cpu_engine(), w_ptr);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
    if (with_bias) args.emplace(DNNL_ARG_BIAS, memory(c.bias(), cpu_engine(), heap.at(a.number(3), c.oc)));
    entry.prim.execute(cpu_stream(), args);
    cpu_stream().wait();
    return string_value(env, entry.impl);
  });
}

// conv2dBackwardData(heap, dy, filter, dx, ...17 conv fields) -> implementation name
napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    Conv c = conv_from(a, 4);
    auto &entry = cached("d" + c.key(), [&] {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, c.src(), c.any_weights(), c.dst(),
                                              c.strides(), c.dilates(), c.pad_l(), c.pad_r());
      dnnl::convolution_backward_data::primitive_desc pd(d, cpu_engine(), c.forward(false, false));
      Cached e{dnnl::convolution_backward_data(pd), pd.impl_info_str()};
      plan_weights(e, c, pd.weights_desc(), false);
      return e;
    });
    void *w_ptr = heap.at(a.number(2), c.kh * c.kw * c.ic * c.oc);
    memory dy(c.dst(), cpu_engine(), heap.at(a.number(1), c.n * c.oh * c.ow * c.oc));
    memory dx(c.src(), cpu_engine(), heap.at(a.number(3), c.n * c.ih * c.iw * c.ic));
    if (entry.reorder) reorder_weights(entry, c, w_ptr, false);
    memory w = entry.reorder ? entry.internal_weights : memory(c.weights(), cpu_engine(), w_ptr);
    entry.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
    cpu_stream().wait();
    return string_value(env, entry.impl);
  });
}

// conv2dBackwardWeights(heap, x, dy, dw, ...17 conv fields) -> implementation name
napi_value Conv2dBackwardWeights(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    Conv c = conv_from(a, 4);
    auto &entry = cached("w" + c.key(), [&] {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, c.src(), c.any_weights(), c.dst(),
                                                 c.strides(), c.dilates(), c.pad_l(), c.pad_r());
      dnnl::convolution_backward_weights::primitive_desc pd(d, cpu_engine(), c.forward(false, false));
      Cached e{dnnl::convolution_backward_weights(pd), pd.impl_info_str()};
      plan_weights(e, c, pd.diff_weights_desc(), true);
      return e;
    });
    void *dw_ptr = heap.at(a.number(3), c.kh * c.kw * c.ic * c.oc);
    memory x(c.src(), cpu_engine(), heap.at(a.number(1), c.n * c.ih * c.iw * c.ic));
    memory dy(c.dst(), cpu_engine(), heap.at(a.number(2), c.n * c.oh * c.ow * c.oc));
    memory dw = entry.reorder ? entry.internal_weights : memory(c.weights(), cpu_engine(), dw_ptr);
    entry.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
    if (entry.reorder) reorder_weights(entry, c, dw_ptr, true);
    cpu_stream().wait();
    return string_value(env, entry.impl);
  });
}

// matmul(heap, a, b, bias (-1: none), out, relu (0/1), batchA, batchB, M, K, N, transposeA, transposeB) -> implementation
// out[i] = op(a[i]) x op(b[i]) (+ bias) for each batch i; a batch of 1 broadcasts. Transposes are
// strides, so nothing is copied.
napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    bool with_bias = a.number(3) >= 0;
    bool relu = a.number(5) != 0;
    int64_t ba = a.integer(6), bb = a.integer(7), m = a.integer(8), k = a.integer(9), n = a.integer(10);
    bool ta = a.number(11) != 0, tb = a.number(12) != 0;
    int64_t batch = std::max(ba, bb);
    if ((ba != batch && ba != 1) || (bb != batch && bb != 1)) throw Error{"matmul: batch sizes do not broadcast"};
    memory::desc src({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
    memory::desc weights({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
    memory::desc bias({1, 1, n}, dt::f32, memory::dims{n, n, 1});
    memory::desc dst({batch, m, n}, dt::f32, memory::dims{m * n, n, 1});
    std::string key = "m" + std::to_string(with_bias) + std::to_string(relu) + std::to_string(ta) + std::to_string(tb);
    for (int64_t v : {ba, bb, m, k, n}) key += "," + std::to_string(v);
    auto &entry = cached(key, [&] {
      auto d = with_bias ? dnnl::matmul::desc(src, weights, bias, dst) : dnnl::matmul::desc(src, weights, dst);
      dnnl::primitive_attr attr;
      if (relu) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
        attr.set_post_ops(ops);
      }
      dnnl::matmul::primitive_desc pd(d, attr, cpu_engine());
      return Cached{dnnl::matmul(pd), pd.impl_info_str()};
    });
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(src, cpu_engine(), heap.at(a.number(1), ba * m * k))},
        {DNNL_ARG_WEIGHTS, memory(weights, cpu_engine(), heap.at(a.number(2), bb * k * n))},
        {DNNL_ARG_DST, memory(dst, cpu_engine(), heap.at(a.number(4), batch * m * n))}};
    if (with_bias) args.emplace(DNNL_ARG_BIAS, memory(bias, cpu_engine(), heap.at(a.number(3), n)));
    entry.prim.execute(cpu_stream(), args);
    cpu_stream().wait();
    return string_value(env, entry.impl);
  });
}

// maxPoolGrad(heap, x, dy, dx, n, h, w, c, oh, ow, fh, fw, sh, sw, pad_top, pad_left)
// dx = dy routed to each window's first maximum per channel (row-major, strictly greater wins: tfjs's
// cpu semantics, which oneDNN's workspace-based backward does not promise). Batches in parallel:
// their dx regions are disjoint, so the result does not depend on the thread count.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t n = a.integer(4), h = a.integer(5), w = a.integer(6), c = a.integer(7), oh = a.integer(8), ow = a.integer(9);
    int64_t fh = a.integer(10), fw = a.integer(11), sh = a.integer(12), sw = a.integer(13), pt = a.integer(14), pl = a.integer(15);
    const float *x = static_cast<const float *>(heap.at(a.number(1), n * h * w * c));
    const float *dy = static_cast<const float *>(heap.at(a.number(2), n * oh * ow * c));
    float *dx = static_cast<float *>(heap.at(a.number(3), n * h * w * c));
#pragma omp parallel for schedule(static) if (n * h * w * c > kParallelMin)
    for (int64_t b = 0; b < n; b++) {
      std::vector<float> best(c);
      std::vector<int64_t> where(c);
      std::memset(dx + b * h * w * c, 0, sizeof(float) * h * w * c);
      for (int64_t i = 0; i < oh; i++) {
        int64_t h0 = i * sh - pt;
        for (int64_t j = 0; j < ow; j++) {
          int64_t w0 = j * sw - pl;
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(where.begin(), where.end(), -1);
          for (int64_t y = std::max<int64_t>(0, h0); y < std::min(h, h0 + fh); y++) {
            for (int64_t z = std::max<int64_t>(0, w0); z < std::min(w, w0 + fw); z++) {
              int64_t base = ((b * h + y) * w + z) * c;
              for (int64_t k = 0; k < c; k++) {
                if (x[base + k] > best[k]) {
                  best[k] = x[base + k];
                  where[k] = base + k;
                }
              }
            }
          }
          const float *g = dy + ((b * oh + i) * ow + j) * c;
          for (int64_t k = 0; k < c; k++) {
            if (where[k] >= 0) dx[where[k]] += g[k];
          }
        }
      }
    }
    return string_value(env, "bn-lab");
  });
}

// avgPoolGrad(heap, dy, dx, n, h, w, c, oh, ow, fh, fw, sh, sw, pad_top, pad_left)
// dx = the sum of dy over the windows covering each input pixel, times 1 / (fh * fw) (tfjs's cpu
// kernel uses that one multiplier for every window, padded or not). Batches in parallel.
napi_value AvgPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t n = a.integer(3), h = a.integer(4), w = a.integer(5), c = a.integer(6), oh = a.integer(7), ow = a.integer(8);
    int64_t fh = a.integer(9), fw = a.integer(10), sh = a.integer(11), sw = a.integer(12), pt = a.integer(13), pl = a.integer(14);
    const float *dy = static_cast<const float *>(heap.at(a.number(1), n * oh * ow * c));
    float *dx = static_cast<float *>(heap.at(a.number(2), n * h * w * c));
    const float mult = 1.0f / static_cast<float>(fh * fw);
#pragma omp parallel for schedule(static) if (n * h * w * c > kParallelMin)
    for (int64_t b = 0; b < n; b++) {
      float *dxb = dx + b * h * w * c;
      std::memset(dxb, 0, sizeof(float) * h * w * c);
      for (int64_t i = 0; i < oh; i++) {
        for (int64_t j = 0; j < ow; j++) {
          const float *g = dy + ((b * oh + i) * ow + j) * c;
          for (int64_t y = std::max<int64_t>(0, i * sh - pt); y < std::min(h, i * sh - pt + fh); y++) {
            for (int64_t z = std::max<int64_t>(0, j * sw - pl); z < std::min(w, j * sw - pl + fw); z++) {
              float *d = dxb + (y * w + z) * c;
              for (int64_t k = 0; k < c; k++) d[k] += g[k];
            }
          }
        }
      }
      for (int64_t k = 0; k < h * w * c; k++) dxb[k] *= mult;
    }
    return string_value(env, "bn-lab");
  });
}

// batchNorm(heap, x, y, rows, channels, mean, variance, offset (-1: none), scale (-1: none), epsilon)
// y = x * a[c] + b[c] with a = scale / sqrt(variance + eps), b = offset - mean * a: FusedBatchNorm
// with per-channel statistics over a channels-last tensor, in one pass.
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t rows = a.integer(3), c = a.integer(4);
    const float *x = static_cast<const float *>(heap.at(a.number(1), rows * c));
    float *y = static_cast<float *>(heap.at(a.number(2), rows * c));
    const float *mean = static_cast<const float *>(heap.at(a.number(5), c));
    const float *var = static_cast<const float *>(heap.at(a.number(6), c));
    const float *offset = a.number(7) < 0 ? nullptr : static_cast<const float *>(heap.at(a.number(7), c));
    const float *scale = a.number(8) < 0 ? nullptr : static_cast<const float *>(heap.at(a.number(8), c));
    double eps = a.number(9);
    std::vector<float> mul(c), add(c);
    for (int64_t k = 0; k < c; k++) {
      double m = (scale ? scale[k] : 1.0) / std::sqrt(static_cast<double>(var[k]) + eps);
      mul[k] = static_cast<float>(m);
      add[k] = static_cast<float>((offset ? offset[k] : 0.0) - mean[k] * m);
    }
    const float *pm = mul.data(), *pa = add.data();
#pragma omp parallel for schedule(static) if (rows * c > kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * c;
      float *yr = y + r * c;
      for (int64_t k = 0; k < c; k++) yr[k] = xr[k] * pm[k] + pa[k];
    }
    return string_value(env, "bn-lab");
  });
}

// adam(heap, n, value, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2, newM, newV, newValue, beta1, beta2, epsilon, lr)
// One Adam step for one variable, float32 step by step exactly as tfjs's AdamOptimizer's ops round
// (and as lib/backend/fused-adam.ts's JavaScript loop; built with -ffp-contract=off, so no FMA).
napi_value Adam(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t n = a.integer(1);
    const float *w = static_cast<const float *>(heap.at(a.number(2), n));
    const float *m = static_cast<const float *>(heap.at(a.number(3), n));
    const float *v = static_cast<const float *>(heap.at(a.number(4), n));
    const float *g = static_cast<const float *>(heap.at(a.number(5), n));
    const float bc1 = *static_cast<const float *>(heap.at(a.number(6), 1));
    const float bc2 = *static_cast<const float *>(heap.at(a.number(7), 1));
    float *m2 = static_cast<float *>(heap.at(a.number(8), n));
    float *v2 = static_cast<float *>(heap.at(a.number(9), n));
    float *w2 = static_cast<float *>(heap.at(a.number(10), n));
    double beta1 = a.number(11), beta2 = a.number(12);
    const float b1 = static_cast<float>(beta1), nb1 = static_cast<float>(1 - beta1);
    const float b2 = static_cast<float>(beta2), nb2 = static_cast<float>(1 - beta2);
    const float eps = static_cast<float>(a.number(13)), step = static_cast<float>(-a.number(14));
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; i++) {
      float gi = g[i];
      float mi = m[i] * b1 + gi * nb1;
      float gg = gi * gi;
      float vi = v[i] * b2 + gg * nb2;
      float mh = mi / bc1;
      float vh = vi / bc2;
      float denom = std::sqrt(vh) + eps;
      float update = (mh / denom) * step;
      m2[i] = mi;
      v2[i] = vi;
      w2[i] = update + w[i];
    }
    return string_value(env, "bn-lab");
  });
}

// batchNormGrad(heap, x, dy, mean, variance, scale (-1: none), rows, channels, epsilon, dx, dmean, dvariance, dscale, doffset)
// The partial derivatives tfjs's FusedBatchNorm gradient returns, for per-channel statistics over a
// channels-last tensor, in two passes instead of ~20 ops: per channel r = 1/sqrt(var + eps),
// doffset = sum(dy), dscale = r * sum(dy * (x - mean)), dmean = -r * scale * doffset,
// dvariance = -0.5 * r^3 * scale * sum(dy * (x - mean)), dx = dy * r * scale. The sums run serially
// in double, so results do not depend on the thread count.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t rows = a.integer(6), c = a.integer(7);
    double eps = a.number(8);
    const float *x = static_cast<const float *>(heap.at(a.number(1), rows * c));
    const float *dy = static_cast<const float *>(heap.at(a.number(2), rows * c));
    const float *mean = static_cast<const float *>(heap.at(a.number(3), c));
    const float *var = static_cast<const float *>(heap.at(a.number(4), c));
    const float *scale = a.number(5) < 0 ? nullptr : static_cast<const float *>(heap.at(a.number(5), c));
    float *dx = static_cast<float *>(heap.at(a.number(9), rows * c));
    float *out[4];
    for (int k = 0; k < 4; k++) out[k] = static_cast<float *>(heap.at(a.number(10 + k), c));
    std::vector<double> sum_dy(c, 0.0), sum_dy_xm(c, 0.0);
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * c, *gr = dy + r * c;
      for (int64_t k = 0; k < c; k++) {
        sum_dy[k] += gr[k];
        sum_dy_xm[k] += static_cast<double>(gr[k]) * (static_cast<double>(xr[k]) - mean[k]);
      }
    }
    std::vector<float> dx_scale(c);
    for (int64_t k = 0; k < c; k++) {
      double rs = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps);
      double g = scale ? scale[k] : 1.0;
      dx_scale[k] = static_cast<float>(rs * g);
      out[0][k] = static_cast<float>(-rs * g * sum_dy[k]);
      out[1][k] = static_cast<float>(-0.5 * rs * rs * rs * g * sum_dy_xm[k]);
      out[2][k] = static_cast<float>(rs * sum_dy_xm[k]);
      out[3][k] = static_cast<float>(sum_dy[k]);
    }
    const float *ps = dx_scale.data();
#pragma omp parallel for schedule(static) if (rows * c > kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t k = 0; k < c; k++) dx[r * c + k] = dy[r * c + k] * ps[k];
    }
    return string_value(env, "bn-lab");
  });
}

// tanh(heap, x, y, n): oneDNN's vectorised tanh over n floats (the stock wasm kernel calls the
// scalar libm tanh per element, the largest single cost of a LeNet step after the convolutions).
napi_value Tanh(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    Heap heap(a, 0);
    int64_t n = a.integer(3);
    memory::desc md({n}, dt::f32, tag::x);
    auto &entry = cached("tanh" + std::to_string(n), [&] {
      dnnl::eltwise_forward::primitive_desc pd(
          dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_tanh, md, 0.f, 0.f),
          cpu_engine());
      return Cached{dnnl::eltwise_forward(pd), pd.impl_info_str()};
    });
    memory x(md, cpu_engine(), heap.at(a.number(1), n)), y(md, cpu_engine(), heap.at(a.number(2), n));
    entry.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}});
    cpu_stream().wait();
    return string_value(env, entry.impl);
  });
}

// info() -> { version, threads }: what the runtime reports, for initBackend's description.
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    const dnnl_version_t *v = dnnl_version();
    napi_value obj, threads;
    NAPI_OK(napi_create_object(env, &obj));
    std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    NAPI_OK(napi_set_named_property(env, obj, "version", string_value(env, version)));
    // The CPU ISA oneDNN dispatches to (e.g. avx512_core), as a number from dnnl_cpu_isa_t.
    napi_value isa;
    NAPI_OK(napi_create_int32(env, static_cast<int32_t>(dnnl::get_effective_cpu_isa()), &isa));
    NAPI_OK(napi_set_named_property(env, obj, "isa", isa));
    NAPI_OK(napi_create_int32(env, omp_get_max_threads(), &threads));
    NAPI_OK(napi_set_named_property(env, obj, "threads", threads));
    return obj;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2dForward", nullptr, Conv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardData", nullptr, Conv2dBackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardWeights", nullptr, Conv2dBackwardWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormGrad", nullptr, BatchNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanh", nullptr, Tanh, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, AvgPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
