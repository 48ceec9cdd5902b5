// compressed_probe: in-process measurements for bench_compressed.sh that a whole-process
// timing cannot isolate: raw inflate speed of zlib and ISA-L, the latency of one region with
// the index already open (cold span cache: a new byte source per query), the cost of
// resuming a full checkpoint span back, and the size of the checkpoint data.
//
//   compressed_probe inflate FILE.gz                      MB/s of zlib and ISA-L (one core)
//   compressed_probe latency FILE [N] [--zlib] [--bytes B] random reads, median/p90 in ms
//   compressed_probe resume FILE [--zlib]                 reads at the far end of each span
//   compressed_probe sizes FILE                           checkpoint/block data vs file size
//
// Built by bench_compressed.sh against build-gz's engine library (it reaches the engine's
// internal seam, src/engine/index_build_internal.hpp, to open a fresh source per query).
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gzip_format_internal.hpp"
#include "index_build_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/index_format.hpp"
#include "ofq/sample.hpp"

using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

int inflate_speed(const std::string& path) {
  const std::string gz = slurp(path);
  std::vector<unsigned char> out(1 << 20);
  // zlib, gzip mode, every member.
  auto t0 = Clock::now();
  z_stream zs{};
  inflateInit2(&zs, 31);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  uint64_t total = 0;
  for (;;) {
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int r = inflate(&zs, Z_NO_FLUSH);
    total += out.size() - zs.avail_out;
    if (r == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    if (r != Z_OK) {
      std::fprintf(stderr, "zlib error %d\n", r);
      return 1;
    }
  }
  inflateEnd(&zs);
  const double zlib_ms = ms_since(t0);
  // ISA-L, gzip mode, every member.
  t0 = Clock::now();
  auto st = std::make_unique<inflate_state>();
  isal_inflate_init(st.get());
  st->crc_flag = ISAL_GZIP;
  st->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(gz.data()));
  st->avail_in = static_cast<uint32_t>(gz.size());
  uint64_t total2 = 0;
  for (;;) {
    st->next_out = out.data();
    st->avail_out = static_cast<uint32_t>(out.size());
    const int r = isal_inflate(st.get());
    total2 += out.size() - st->avail_out;
    if (r < 0) {
      std::fprintf(stderr, "isa-l error %d\n", r);
      return 1;
    }
    if (st->block_state == ISAL_BLOCK_FINISH) {
      if (st->avail_in == 0) break;
      uint8_t* next = st->next_in;
      const uint32_t avail = st->avail_in;
      isal_inflate_reset(st.get());
      st->crc_flag = ISAL_GZIP;
      st->next_in = next;
      st->avail_in = avail;
    }
  }
  const double isal_ms = ms_since(t0);
  std::printf("inflate_bytes %llu\nzlib_mb_s %.1f\nisal_mb_s %.1f\n", static_cast<unsigned long long>(total),
              total / 1e3 / zlib_ms, total2 / 1e3 / isal_ms);
  return 0;
}

std::unique_ptr<ofq::ByteSource> fresh_source(const std::string& path, const ofq::FastaIndex& idx) {
  switch (idx.compression()) {
    case ofq::Compression::gzip: return ofq::detail::open_gzip_source(path, idx);
    case ofq::Compression::bgzf: return ofq::detail::open_bgzf_source(path, idx);
    default: return ofq::open_plain_source(path);
  }
}

void print_stats(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  std::printf("%s_n %zu\n%s_median_ms %.3f\n%s_p90_ms %.3f\n%s_max_ms %.3f\n%s_mean_ms %.3f\n", what, v.size(),
              what, v[v.size() / 2], what, v[v.size() * 9 / 10], what, v.back(), what, sum / v.size());
}

int latency(const std::string& path, int n, size_t bytes) {
  ofq::IndexOptions opt;
  opt.build = false;
  auto s = ofq::Sample::open(path, opt);
  const ofq::FastaIndex& idx = s->index();
  std::mt19937_64 rng(7);
  std::vector<char> buf(bytes);
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    const uint64_t off = rng() % (idx.uncompressed_size() - bytes);
    const auto t0 = Clock::now();
    auto src = fresh_source(path, idx);
    src->read_at(off, std::span<char>(buf.data(), buf.size()));
    t.push_back(ms_since(t0));
  }
  print_stats("latency", t);
  return 0;
}

int resume(const std::string& path) {
  ofq::IndexOptions opt;
  opt.build = false;
  auto s = ofq::Sample::open(path, opt);
  const ofq::FastaIndex& idx = s->index();
  const auto raw = idx.section(ofq::format::gzip_checkpoints);
  ofq::detail::gzip_index::Header h{};
  std::memcpy(&h, raw.data(), sizeof h);
  std::vector<ofq::detail::gzip_index::Checkpoint> cps(h.checkpoint_count);
  std::memcpy(cps.data(), raw.data() + sizeof h, cps.size() * sizeof cps[0]);
  std::vector<double> t;
  std::vector<char> buf(100);
  for (size_t i = 0; i + 1 < cps.size() && t.size() < 60; ++i) {
    const uint64_t off = cps[i + 1].out - buf.size();  // the far end of span i
    const auto t0 = Clock::now();
    auto src = fresh_source(path, idx);
    src->read_at(off, std::span<char>(buf.data(), buf.size()));
    t.push_back(ms_since(t0));
  }
  std::printf("spacing_bytes %llu\n", static_cast<unsigned long long>(h.spacing_bytes));
  print_stats("resume_full_span", t);
  return 0;
}

int sizes(const std::string& path) {
  ofq::IndexOptions opt;
  opt.build = false;
  auto s = ofq::Sample::open(path, opt);
  const auto gz = std::filesystem::file_size(path);
  const auto cp = s->index().section(ofq::format::gzip_checkpoints).size();
  const auto bl = s->index().section(ofq::format::bgzf_blocks).size();
  std::printf("file_bytes %llu\ncheckpoint_bytes %zu\nblock_table_bytes %zu\ncheckpoint_percent %.3f\n",
              static_cast<unsigned long long>(gz), cp, bl, 100.0 * static_cast<double>(cp) / static_cast<double>(gz));
  if (cp > 0) {
    ofq::detail::gzip_index::Header h{};
    std::memcpy(&h, s->index().section(ofq::format::gzip_checkpoints).data(), sizeof h);
    std::printf("checkpoints %llu\nwindow_bytes %llu\nmembers %llu\n", static_cast<unsigned long long>(h.checkpoint_count),
                static_cast<unsigned long long>(h.window_data_size), static_cast<unsigned long long>(h.member_count));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: compressed_probe inflate|latency|resume|sizes FILE [options]\n");
    return 1;
  }
  const std::string mode = argv[1], path = argv[2];
  int n = 200;
  size_t bytes = 1000;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--zlib") ofq::detail::force_zlib_inflate_for_tests(true);
    else if (a == "--bytes" && i + 1 < argc) bytes = std::stoul(argv[++i]);
    else n = std::stoi(a);
  }
  try {
    if (mode == "inflate") return inflate_speed(path);
    if (mode == "latency") return latency(path, n, bytes);
    if (mode == "resume") return resume(path);
    if (mode == "sizes") return sizes(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compressed_probe: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "compressed_probe: unknown mode %s\n", mode.c_str());
  return 1;
}
