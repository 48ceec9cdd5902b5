// detect_compression: from the bytes, never the name; other compressors refused with the fix.
#include <gtest/gtest.h>

#include <string>

#include "compressed_test_util.hpp"
#include "ofq/byte_source.hpp"
#include "ofq/error.hpp"

using namespace ofq;
using ofq::test::compressed_fixtures;
using ofq::test::TempDir;

namespace {

std::string fixture(const std::string& name) { return compressed_fixtures() + "/" + name; }

void expect_error(const std::string& path, Errc code, const std::string& message) {
  try {
    (void)detect_compression(path);
    ADD_FAILURE() << path << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code);
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(Compression, Names) {
  EXPECT_STREQ(to_string(Compression::plain), "fasta");
  EXPECT_STREQ(to_string(Compression::gzip), "gzip");
  EXPECT_STREQ(to_string(Compression::bgzf), "bgzf");
}

TEST(Compression, DetectsFromTheBytes) {
  EXPECT_EQ(detect_compression(fixture("base.fa")), Compression::plain);
  EXPECT_EQ(detect_compression(fixture("base.gz6.fa.gz")), Compression::gzip);
  EXPECT_EQ(detect_compression(fixture("base.gz1.fa.gz")), Compression::gzip);
  EXPECT_EQ(detect_compression(fixture("base.gz0.fa.gz")), Compression::gzip);
  EXPECT_EQ(detect_compression(fixture("multi.fa.gz")), Compression::gzip);
  EXPECT_EQ(detect_compression(fixture("base.bgz.fa.gz")), Compression::bgzf);
  EXPECT_EQ(detect_compression(fixture("concat.bgz.fa.gz")), Compression::bgzf);
  // BC headers without the end-of-file block: plain multi-member gzip (correct, only slower).
  EXPECT_EQ(detect_compression(fixture("noeof.bgz.fa.gz")), Compression::gzip);
}

TEST(Compression, NameDoesNotMatter) {
  TempDir t;
  const std::string a = t / "looks_plain.fa";
  const std::string b = t / "looks_gzip.fa.gz";
  ofq::test::spit(a, ofq::test::slurp(fixture("base.bgz.fa.gz")));
  ofq::test::spit(b, ">r\nACGT\n");
  EXPECT_EQ(detect_compression(a), Compression::bgzf);
  EXPECT_EQ(detect_compression(b), Compression::plain);
}

TEST(Compression, EmptyFileIsPlain) {
  TempDir t;
  ofq::test::spit(t / "empty.fa", "");
  EXPECT_EQ(detect_compression(t / "empty.fa"), Compression::plain);
}

TEST(Compression, RefusesOtherCompressors) {
  const std::string fix = "; decompress it or recompress with bgzip";
  expect_error(fixture("small.fa.zst"), Errc::unsupported_format, fixture("small.fa.zst") + ": compressed with zstd" + fix);
  expect_error(fixture("small.fa.xz"), Errc::unsupported_format, fixture("small.fa.xz") + ": compressed with xz" + fix);
  expect_error(fixture("small.fa.bz2"), Errc::unsupported_format, fixture("small.fa.bz2") + ": compressed with bzip2" + fix);
  expect_error(fixture("small.fa.zip"), Errc::unsupported_format, fixture("small.fa.zip") + ": compressed with zip" + fix);
}

TEST(Compression, RefusesAShortOrOddGzipHeader) {
  TempDir t;
  ofq::test::spit(t / "short.gz", std::string("\x1f\x8b\x08\x00", 4));
  expect_error(t / "short.gz", Errc::corrupt_input,
               t / "short.gz" + ": gzip stream is truncated at byte 4 (member 1): the header needs 10 bytes");
  ofq::test::spit(t / "method.gz", std::string("\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03", 10));
  expect_error(t / "method.gz", Errc::unsupported_format,
               t / "method.gz" + ": gzip header at byte 0 names compression method 7 (only 8, deflate, "
                                 "exists); the file is damaged or not gzip");
}

TEST(Compression, MissingFileIsAnIoError) {
  try {
    (void)detect_compression("/nonexistent/x.fa.gz");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io_error);
    EXPECT_EQ(std::string(e.what()), "/nonexistent/x.fa.gz: cannot open: No such file or directory");
  }
}

}  // namespace
