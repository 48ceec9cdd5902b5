// compressed_probe: in-process measurements for bench_compressed.sh that a whole-process
// timing cannot isolate: raw inflate speed of zlib and ISA-L, the latency of one region with
// the index already open (cold span cache: a new byte source per query), the cost of
// resuming a full checkpoint span back, and the size of the checkpoint data.
//
//   compressed_probe inflate FILE.gz                      MB/s of zlib and ISA-L (one core)
//   compressed_probe latency FILE [N] [--zlib] [--bytes B] random reads, median/p90 in ms
//   compressed_probe resume FILE [--zlib]                 reads at the far end of each span
//   compressed_probe sizes FILE                           checkpoint/block data vs file size
//   compressed_probe batch FILE Q.csv                     all positions sorted, one pass, one thread
//
// Built by bench_compressed.sh against build-gz's engine library (it reaches the engine's
// internal seam, src/engine/index_build_internal.hpp, to open a fresh source per query).
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <ctime>
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

/// CPU time of this thread in ms: on a shared machine the wall clock also measures the
/// neighbours; a one-thread read's CPU time is what its wall time is on a quiet machine.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
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
  auto c0 = std::clock();
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
  const double zlib_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
  c0 = std::clock();
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
  const double isal_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
  // CPU-time rates too: on a shared machine the wall clock measures the neighbours.
  std::printf("inflate_bytes %llu\nzlib_mb_s %.1f\nisal_mb_s %.1f\nzlib_cpu_mb_s %.1f\nisal_cpu_mb_s %.1f\n",
              static_cast<unsigned long long>(total), total / 1e3 / zlib_ms, total2 / 1e3 / isal_ms,
              total / 1e6 / zlib_cpu_s, total2 / 1e6 / isal_cpu_s);
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
  std::vector<double> t, cpu;
  for (int i = 0; i < n; ++i) {
    const uint64_t off = rng() % (idx.uncompressed_size() - bytes);
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_ms();
    auto src = fresh_source(path, idx);
    src->read_at(off, std::span<char>(buf.data(), buf.size()));
    t.push_back(ms_since(t0));
    cpu.push_back(thread_cpu_ms() - c0);
  }
  print_stats("latency", t);
  print_stats("latency_cpu", cpu);
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
  std::vector<double> t, cpu;
  std::vector<char> buf(100);
  for (size_t i = 0; i + 1 < cps.size() && t.size() < 60; ++i) {
    const uint64_t off = cps[i + 1].out - buf.size();  // the far end of span i
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_ms();
    auto src = fresh_source(path, idx);
    src->read_at(off, std::span<char>(buf.data(), buf.size()));
    t.push_back(ms_since(t0));
    cpu.push_back(thread_cpu_ms() - c0);
  }
  std::printf("spacing_bytes %llu\n", static_cast<unsigned long long>(h.spacing_bytes));
  print_stats("resume_full_span", t);
  print_stats("resume_full_span_cpu", cpu);
  return 0;
}

/// Every position of a CSV (id,start,end[,type]) fetched through one source, sorted by
/// offset in one pass (one thread): what a batch costs when no block is decoded twice.
int sorted_batch(const std::string& path, const std::string& csv) {
  ofq::IndexOptions opt;
  opt.build = false;
  auto s = ofq::Sample::open(path, opt);
  struct P {
    ofq::RecordId id;
    uint64_t start, end;
  };
  std::vector<P> ps;
  std::ifstream in(csv);
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
    const auto id = s->index().find(std::string_view(line).substr(0, a));
    if (!id) continue;
    ps.push_back({*id, std::stoull(line.substr(a + 1, b - a - 1)), std::stoull(line.substr(b + 1, c - b - 1))});
  }
  const double c0 = thread_cpu_ms();
  const auto t0 = Clock::now();
  std::sort(ps.begin(), ps.end(), [](const P& x, const P& y) { return x.id != y.id ? x.id < y.id : x.start < y.start; });
  std::string out;
  uint64_t bases = 0;
  for (const P& p : ps) {
    out.clear();
    s->fetch(p.id, p.start, p.end, ofq::SeqType::raw, out);
    bases += out.size();
  }
  std::printf("sorted_batch_positions %zu\nsorted_batch_bases %llu\nsorted_batch_wall_s %.3f\nsorted_batch_cpu_s %.3f\n",
              ps.size(), static_cast<unsigned long long>(bases), ms_since(t0) / 1e3, (thread_cpu_ms() - c0) / 1e3);
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
    else if (mode != "batch") n = std::stoi(a);
  }
  try {
    if (mode == "inflate") return inflate_speed(path);
    if (mode == "latency") return latency(path, n, bytes);
    if (mode == "resume") return resume(path);
    if (mode == "sizes") return sizes(path);
    if (mode == "batch" && argc > 3) return sorted_batch(path, argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compressed_probe: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "compressed_probe: unknown mode %s\n", mode.c_str());
  return 1;
}
