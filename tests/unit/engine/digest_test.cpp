// Refget digests: vectors from the spec, id parsing, and the pass over real files (plain,
// soft-masked, gzip, BGZF, several records, one big record, resumed, stale sidecars).
#include "ofq/digest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "ofq/error.hpp"
#include "ofq/sample.hpp"

namespace fs = std::filesystem;
using namespace ofq;

namespace {

const std::string k_refget = std::string(OFQ_SOURCE_DIR) + "/data/refget";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class TempDir {
public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "ofq_digest_XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

private:
  fs::path path_;
};

struct Expected {
  const char* file;
  const char* md5;
  const char* ga4gh;
  const char* trunc512;
  uint64_t length;
};
const Expected k_suite[] = {
    {"I.faa", "6681ac2f62509cfc220d78751b8dc524", "SQ.lZyxiD_ByprhOUzrR1o1bq0ezO_1gkrn",
     "959cb1883fc1ca9ae1394ceb475a356ead1ecceff5824ae7", 230218},
    {"VI.faa", "b7ebc601f9a7df2e1ec5863deeae88a3", "SQ.z-qJgWoacRBV77zcMgZN9E_utrdzmQsH",
     "cfea89816a1a711055efbcdc32064df44feeb6b773990b07", 270161},
    {"NC.faa", "3332ed720ac7eaa9b3655c06f6b9e196", "SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF",
     "2085c82d80500a91dd0b8aa9237b0e43f1c07809bd6e6785", 5386},
};

}  // namespace

TEST(Digest, SpecVectorAcgt) {
  const SequenceDigest d = digest_bases("ACGT");
  EXPECT_EQ(md5_hex(d.md5), "f1f8f4bf413b16ad135722aa4591043e");
  EXPECT_EQ(ga4gh_id(d.sha512t24), "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2");
  EXPECT_EQ(trunc512_hex(d.sha512t24), "68a178f7c740c5c240aa67ba41843b119d3bf9f8b0f0ac36");
}

TEST(Digest, SpecVectorEmpty) {
  const SequenceDigest d = digest_bases("");
  EXPECT_EQ(md5_hex(d.md5), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(ga4gh_id(d.sha512t24), "SQ.z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXc");
  EXPECT_EQ(trunc512_hex(d.sha512t24), "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc");
}

TEST(Digest, NormaliseKeepsLettersUppercased) {
  EXPECT_EQ(normalise_sequence("ac-g\r\nT*. n 12x"), "ACGTNX");
  EXPECT_EQ(normalise_sequence(""), "");
  EXPECT_EQ(md5_hex(digest_bases(normalise_sequence("acgt\n")).md5),
            "f1f8f4bf413b16ad135722aa4591043e");
}

TEST(Digest, Base64UrlUnpadded) {
  const uint8_t b[] = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64url(b, 3), "-__-");
  EXPECT_EQ(base64url(b, 2), "-_8");
  EXPECT_EQ(base64url(b, 1), "-w");
  EXPECT_EQ(base64url(b, 0), "");
}

TEST(RefgetId, FormsOfOneDigest) {
  const SequenceDigest d = digest_bases("ACGT");
  for (const char* t : {"f1f8f4bf413b16ad135722aa4591043e", "md5:f1f8f4bf413b16ad135722aa4591043e",
                        "F1F8F4BF413B16AD135722AA4591043E"}) {
    auto id = parse_refget_id(t);
    ASSERT_TRUE(id) << t;
    EXPECT_EQ(id->kind, RefgetId::Kind::md5) << t;
    EXPECT_EQ(id->md5, d.md5) << t;
  }
  for (const char* t :
       {"SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2", "ga4gh:SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2",
        "68a178f7c740c5c240aa67ba41843b119d3bf9f8b0f0ac36",
        "trunc512:68A178F7C740C5C240AA67BA41843B119D3BF9F8B0F0AC36"}) {
    auto id = parse_refget_id(t);
    ASSERT_TRUE(id) << t;
    EXPECT_EQ(id->kind, RefgetId::Kind::sha512t24) << t;
    EXPECT_EQ(id->sha512t24, d.sha512t24) << t;
  }
}

TEST(RefgetId, AliasesAndGarbage) {
  auto a = parse_refget_id("insdc:BK006935.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, RefgetId::Kind::alias);
  EXPECT_EQ(a->alias, "insdc:BK006935.2");
  // ga4gh ids are case-sensitive; a wrong length or alphabet is no id.
  EXPECT_FALSE(parse_refget_id("sq.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"));
  EXPECT_FALSE(parse_refget_id("SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw"));
  EXPECT_FALSE(parse_refget_id("SQ.aKF498dAxcJAqme6QYQ7EZ07+fiw8Kw2"));
  EXPECT_FALSE(parse_refget_id("md5:f1f8f4bf413b16ad135722aa4591043"));
  EXPECT_FALSE(parse_refget_id("md5:SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"));
  EXPECT_FALSE(parse_refget_id("ga4gh:f1f8f4bf413b16ad135722aa4591043e"));
  EXPECT_FALSE(parse_refget_id("Garbagechecksum"));
  EXPECT_FALSE(parse_refget_id("some1111garbage1111ID"));
  EXPECT_FALSE(parse_refget_id("g1f8f4bf413b16ad135722aa4591043e"));
  EXPECT_FALSE(parse_refget_id(""));
  EXPECT_FALSE(parse_refget_id(":x"));
  EXPECT_FALSE(parse_refget_id("insdc:"));
}

TEST(DigestPass, SuiteSequences) {
  TempDir tmp;
  for (const Expected& e : k_suite) {
    const fs::path f = tmp / e.file;
    fs::copy_file(k_refget + "/" + e.file, f);
    auto s = Sample::open(f.string());
    const DigestTable t = compute_digests(*s);
    ASSERT_EQ(t.records.size(), 1u);
    ASSERT_EQ(t.records[0].state, DigestState::done);
    EXPECT_EQ(md5_hex(t.records[0].digest.md5), e.md5);
    EXPECT_EQ(ga4gh_id(t.records[0].digest.sha512t24), e.ga4gh);
    EXPECT_EQ(trunc512_hex(t.records[0].digest.sha512t24), e.trunc512);
    EXPECT_EQ(s->index().record(0).length, e.length);
    // The sidecar is written, complete, and loads to the same table.
    EXPECT_TRUE(fs::exists(digest_path(*s)));
    EXPECT_FALSE(fs::exists(digest_path(*s) + ".partial"));
    auto loaded = load_digests(*s);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->records[0].digest, t.records[0].digest);
  }
}

TEST(DigestPass, SoftMaskedGzipAndBgzfEqualPlainUppercase) {
  TempDir tmp;
  const std::string text = slurp(k_refget + "/NC.faa");
  std::string masked = text;
  // Lowercase every other line of sequence.
  bool lower = false;
  for (size_t i = masked.find('\n') + 1; i < masked.size(); ++i) {
    if (masked[i] == '\n') lower = !lower;
    else if (lower) masked[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(masked[i])));
  }
  ASSERT_NE(masked, text);
  spit(tmp / "masked.fa", masked);
  spit(tmp / "gz.fa", masked);
  spit(tmp / "bgzf.fa", masked);
  ASSERT_EQ(std::system(("gzip -n -f " + (tmp / "gz.fa").string()).c_str()), 0);
  ASSERT_EQ(std::system(("bgzip -f " + (tmp / "bgzf.fa").string()).c_str()), 0);
  for (const char* name : {"masked.fa", "gz.fa.gz", "bgzf.fa.gz"}) {
    auto s = Sample::open((tmp / name).string());
    const DigestTable t = compute_digests(*s);
    ASSERT_EQ(t.records.size(), 1u) << name;
    EXPECT_EQ(md5_hex(t.records[0].digest.md5), "3332ed720ac7eaa9b3655c06f6b9e196") << name;
    EXPECT_EQ(ga4gh_id(t.records[0].digest.sha512t24), "SQ.IIXILYBQCpHdC4qpI3sOQ_HAeAm9bmeF")
        << name;
  }
}

namespace {
std::string random_bases(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  static const char k[] = "ACGTacgtNn";
  std::string s(n, 'A');
  for (auto& c : s) c = k[rng() % 10];
  return s;
}
std::string wrap(const std::string& s, size_t w, const char* eol = "\n") {
  std::string out;
  for (size_t i = 0; i < s.size(); i += w) out += s.substr(i, w) + eol;
  return out;
}
}  // namespace

TEST(DigestPass, ManyRecordsIrregularLinesGapsAndEmpty) {
  TempDir tmp;
  std::string fa;
  std::vector<std::string> seqs;
  for (int r = 0; r < 40; ++r) {
    std::string s = random_bases(static_cast<size_t>(r * 997 % 5000), static_cast<uint32_t>(r));
    seqs.push_back(s);
    fa += ">rec" + std::to_string(r) + " some description\n";
    fa += wrap(s, r % 3 == 0 ? 60 : 77, r % 5 == 0 ? "\r\n" : "\n");
    if (r % 7 == 0) fa += "\n";
  }
  fa += ">gapped\nACGT-NN*\nAC.G\n";
  fa += ">blanks\nACGT  \nacgt\t\n   \n\nTTAA\r\nG";
  spit(tmp / "many.fa", fa);
  auto s = Sample::open((tmp / "many.fa").string());
  std::atomic<int> calls{0};
  DigestOptions opt;
  opt.checkpoint_bases = 10000;  // many chunks
  opt.on_record = [&](RecordId, const RecordDigest&) { ++calls; };
  const DigestTable t = compute_digests(*s, opt);
  ASSERT_EQ(t.records.size(), 42u);
  EXPECT_EQ(calls.load(), 42);
  for (size_t r = 0; r < 40; ++r) {
    ASSERT_EQ(t.records[r].state, DigestState::done) << r;
    EXPECT_EQ(t.records[r].digest, digest_bases(normalise_sequence(seqs[r]))) << r;
  }
  EXPECT_EQ(md5_hex(t.records[0].digest.md5), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(t.records[40].state, DigestState::not_served);
  EXPECT_EQ(t.records[41].state, DigestState::done);
  EXPECT_EQ(t.records[41].digest, digest_bases("ACGTACGTTTAAG"));
  EXPECT_TRUE(t.complete());
}

TEST(DigestPass, BigRecordOnTwoThreadsEqualsOneThread) {
  TempDir tmp;
  const std::string big = random_bases((17u << 20) + 123, 7);
  const std::string small = random_bases(1000, 8);
  spit(tmp / "big.fa", ">small\n" + wrap(small, 60) + ">big\n" + wrap(big, 80) + ">tail\nAC\n");
  auto s = Sample::open((tmp / "big.fa").string());
  DigestOptions two;
  two.write = false;
  DigestOptions one = two;
  one.threads = 1;
  const DigestTable a = compute_digests(*s, two);
  const DigestTable b = compute_digests(*s, one);
  ASSERT_EQ(a.records.size(), 3u);
  EXPECT_EQ(a.records[1].digest, digest_bases(normalise_sequence(big)));
  EXPECT_EQ(a.records[0].digest, digest_bases(normalise_sequence(small)));
  EXPECT_EQ(a.records[2].digest, digest_bases("AC"));
  for (size_t r = 0; r < 3; ++r) EXPECT_EQ(a.records[r].digest, b.records[r].digest) << r;
  EXPECT_FALSE(fs::exists(digest_path(*s)));
}

TEST(DigestPass, CancelledPassResumesFromPartial) {
  TempDir tmp;
  std::string fa;
  for (int r = 0; r < 30; ++r)
    fa += ">r" + std::to_string(r) + "\n" + wrap(random_bases(3000, static_cast<uint32_t>(r)), 60);
  spit(tmp / "resume.fa", fa);
  auto s = Sample::open((tmp / "resume.fa").string());
  std::atomic<bool> stop{false};
  std::atomic<int> hashed{0};
  DigestOptions opt;
  opt.threads = 1;
  opt.checkpoint_bases = 3000;  // one record per chunk
  opt.cancel = &stop;
  opt.on_record = [&](RecordId, const RecordDigest&) {
    if (++hashed == 10) stop = true;
  };
  const DigestTable part = compute_digests(*s, opt);
  EXPECT_FALSE(part.complete());
  EXPECT_EQ(hashed.load(), 10);
  EXPECT_FALSE(fs::exists(digest_path(*s)));
  EXPECT_TRUE(fs::exists(digest_path(*s) + ".partial"));
  EXPECT_FALSE(load_digests(*s));

  // The second pass takes the 10 done records from the .partial file and hashes 20.
  std::atomic<bool> no{false};
  opt.cancel = &no;
  uint64_t last_done = 0;
  opt.progress = [&](uint64_t done, uint64_t) { last_done = done; };
  hashed = 0;
  const DigestTable full = compute_digests(*s, opt);
  EXPECT_EQ(hashed.load(), 30);  // on_record: 10 resumed + 20 hashed
  EXPECT_EQ(last_done, 30u * 3000u);
  ASSERT_TRUE(full.complete());
  DigestOptions fresh;
  fresh.write = false;
  const DigestTable ref = compute_digests(*s, fresh);
  for (size_t r = 0; r < 30; ++r) EXPECT_EQ(full.records[r].digest, ref.records[r].digest) << r;
  EXPECT_TRUE(fs::exists(digest_path(*s)));
  EXPECT_FALSE(fs::exists(digest_path(*s) + ".partial"));
}

TEST(DigestPass, SidecarOfAnotherFileIsNotTrusted) {
  TempDir tmp;
  spit(tmp / "a.fa", ">a\nACGT\n");
  auto s = Sample::open((tmp / "a.fa").string());
  (void)compute_digests(*s);
  ASSERT_TRUE(load_digests(*s));
  const std::string side = digest_path(*s);
  const std::string side_bytes = slurp(side);
  s.reset();
  // Same size, other bases: the index is rebuilt and the old sidecar no longer matches.
  spit(tmp / "a.fa", ">a\nTTTT\n");
  auto s2 = Sample::open((tmp / "a.fa").string());
  spit(side, side_bytes);
  EXPECT_FALSE(load_digests(*s2));
  const DigestTable t = ensure_digests(*s2);
  EXPECT_EQ(t.records[0].digest, digest_bases("TTTT"));
  ASSERT_TRUE(load_digests(*s2));
  // A damaged sidecar is ignored.
  std::string bytes = slurp(side);
  bytes[70] ^= 1;
  spit(side, bytes);
  EXPECT_FALSE(load_digests(*s2));
  spit(side, bytes.substr(0, 40));
  EXPECT_FALSE(load_digests(*s2));
}
