/* Weights files: round trips through hz_weights_write and hz_weights_open, and
 * every kind of defect giving HZ_ERROR_WEIGHTS with its message, no crash.
 * The defective files are made by a builder written here from FORMAT.md, so
 * it checks the loader against the document as well as against the writer. */
#include "hz-net.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <zlib.h>

/* ---- a builder of small files, from FORMAT.md ------------------------------ */

typedef struct
{
  const char *name;
  guint32     dtype;      /* 0 fp32, 1 fp16 */
  guint32     ndim;
  guint64     shape[4];
} Spec;

/* Where each field of a built file lies, to patch them. */
typedef struct
{
  gsize name_len[4], dtype[4], ndim[4], shape[4], offset[4], n_bytes[4], data[4];
} Layout;

static void
put (GByteArray *b,
     const void *p,
     gsize       n)
{
  g_byte_array_append (b, p, n);
}

/* Little-endian integers of size bytes, at pos or at the end. */
static void
set_le (GByteArray *b,
        gsize       pos,
        guint64     v,
        guint       size)
{
  for (guint i = 0; i < size; i++)
    b->data[pos + i] = v >> (8 * i);
}

static void
put_le (GByteArray *b,
        guint64     v,
        guint       size)
{
  gsize pos = b->len;

  g_byte_array_set_size (b, pos + size);
  set_le (b, pos, v, size);
}

#define put32(b, v)      put_le (b, v, 4)
#define put64(b, v)      put_le (b, v, 8)
#define set32(b, pos, v) set_le (b, pos, v, 4)
#define set64(b, pos, v) set_le (b, pos, v, 8)

/* CRC-32 over the file with bytes 32..63 as zeros, stored little-endian at
 * 32; bytes 36..63 (reserved) are left zero. */
static void
fix_checksum (GByteArray *b)
{
  memset (b->data + 32, 0, 32);
  set32 (b, 32, crc32_z (0, b->data, b->len));
}

static guint64
spec_bytes (const Spec *s)
{
  guint64 n = s->dtype ? 2 : 4;

  for (guint d = 0; d < s->ndim; d++)
    n *= s->shape[d];
  return n;
}

/* Element k of tensor i: fp32 values i + k / 4, fp16 the same as halves
 * (exact for the small sizes used here). */
static float
element (guint i,
         guint k)
{
  return i + k / 4.0f;
}

static guint16
half_of_small (float v)
{
  int      e;
  float    m = frexpf (v, &e);     /* v = m 2^e, m in [0.5, 1) */

  if (v == 0)
    return 0;
  return (guint16) (((e - 1 + 15) << 10) | (guint16) ((m * 2 - 1) * 1024));
}

static GByteArray *
build (const char *key,
       const char *value,
       const Spec *specs,
       guint       n,
       Layout     *layout)
{
  GByteArray *b = g_byte_array_new ();

  put (b, "\x89HZW\r\n\x1a\n", 8);
  put32 (b, 1);
  put32 (b, 64);
  put32 (b, key ? 1 : 0);
  put32 (b, n);
  put64 (b, 0);                           /* file size, set below */
  for (guint i = 0; i < 4; i++)
    put64 (b, 0);                         /* checksum, set below */
  if (key)
    {
      put32 (b, strlen (key));
      put (b, key, strlen (key));
      put32 (b, strlen (value));
      put (b, value, strlen (value));
    }
  for (guint i = 0; i < n; i++)
    {
      layout->name_len[i] = b->len;
      put32 (b, strlen (specs[i].name));
      put (b, specs[i].name, strlen (specs[i].name));
      layout->dtype[i] = b->len;
      put32 (b, specs[i].dtype);
      layout->ndim[i] = b->len;
      put32 (b, specs[i].ndim);
      layout->shape[i] = b->len;
      for (guint d = 0; d < specs[i].ndim; d++)
        put64 (b, specs[i].shape[d]);
      layout->offset[i] = b->len;
      put64 (b, 0);
      layout->n_bytes[i] = b->len;
      put64 (b, spec_bytes (&specs[i]));
    }
  for (guint i = 0; i < n; i++)
    {
      guint esize = specs[i].dtype ? 2 : 4;

      while (b->len % 64)
        put_le (b, 0, 1);                   /* padding */
      layout->data[i] = b->len;
      set64 (b, layout->offset[i], b->len);
      for (guint k = 0; k < spec_bytes (&specs[i]) / esize; k++)
        {
          float   v = element (i, k);
          guint32 bits;

          memcpy (&bits, &v, 4);
          put_le (b, specs[i].dtype ? half_of_small (v) : bits, esize);
        }
    }
  set64 (b, 24, b->len);
  fix_checksum (b);
  return b;
}

static const Spec small_specs[] = {
  { "conv.weight", 0, 4, { 2, 1, 3, 3 } },
  { "conv.bias", 1, 1, { 2 } },
  { "bn.running_var", 0, 1, { 3 } },
};

static GByteArray *
build_small (Layout *layout)
{
  return build ("architecture", "test", small_specs, G_N_ELEMENTS (small_specs), layout);
}

/* Loads b, expecting failure with a message containing expected. */
static void
expect_error (const GByteArray *b,
              const char       *expected)
{
  GError    *error = NULL;
  HzWeights *w = hz_weights_from_data (b->data, b->len, &error);

  g_assert_null (w);
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  if (!strstr (error->message, expected))
    g_error ("message \"%s\" lacks \"%s\"", error->message, expected);
  g_assert_null (strchr (error->message, '\n'));
  g_error_free (error);
}

static char *
tmp_path (const char *name)
{
  static char *dir;

  if (!dir)
    dir = g_dir_make_tmp ("test-weights-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

/* ---- valid files ---------------------------------------------------------- */

static void
test_builder_file (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);
  GError     *error = NULL;
  HzWeights  *w = hz_weights_from_data (b->data, b->len, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (hz_weights_n_tensors (w), ==, 3);
  g_assert_cmpstr (hz_weights_meta (w, "architecture"), ==, "test");
  g_assert_null (hz_weights_meta (w, "training"));
  g_assert_cmpstr (hz_weights_source (w), ==, "weights data");
  for (guint i = 0; i < 3; i++)
    {
      const HzTensor *t = hz_weights_nth (w, i);
      guint64         count = spec_bytes (&small_specs[i]) / (small_specs[i].dtype ? 2 : 4);

      g_assert_cmpstr (t->name, ==, small_specs[i].name);
      g_assert_true (hz_weights_lookup (w, t->name) == t);
      g_assert_cmpint (t->ndim, ==, small_specs[i].ndim);
      for (int d = 0; d < t->ndim; d++)
        g_assert_cmpint (t->shape[d], ==, small_specs[i].shape[d]);
      for (guint k = 0; k < count; k++)
        g_assert_cmpfloat (t->data[k], ==, element (i, k));
    }
  g_assert_null (hz_weights_lookup (w, "conv"));
  hz_weights_free (w);
  g_byte_array_unref (b);
}

/* Finite: the loader refuses NaN and infinities (test_non_finite). */
static const float specials[] = {
  0.0f, -0.0f, 1.0f, -1.0f, 0.1f, -3.14159265f, 65504.0f, 65519.0f, 65520.0f, 1e6f, -1e6f,
  1e-3f, 6.103515625e-05f /* 2^-14 */, 5.9604645e-08f /* 2^-24 */,
  2.98023224e-08f /* 2^-25: halfway to 0 */, 8.94069672e-08f /* 3 * 2^-25 */, 1e-8f, 1e-40f,
  1.00048828125f /* 1 + 2^-11: tie, to even 1 */, 1.00146484375f /* 1 + 3 * 2^-11: up */,
  3.4028235e38f,
};

/* The fp16 value nearest to v, ties to even, as an independent reference. */
static float
reference_half (float v)
{
  float a = fabsf (v), r, q;
  int   e;

  if (a < 0x1p-14f)
    q = 0x1p-24f;                           /* subnormal step */
  else
    {
      frexpf (a, &e);
      q = ldexpf (1.0f, e - 11);            /* 10 mantissa bits */
    }
  r = nearbyintf (a / q) * q;               /* the default rounding: ties to even */
  if (r > 65504.0f)
    r = INFINITY;
  return copysignf (r, v);
}

static void
assert_same_float (float got,
                   float want)
{
  g_assert_cmpfloat (got, ==, want);
  g_assert_cmpint (signbit (got) != 0, ==, signbit (want) != 0);
}

static void
round_trip (gboolean half)
{
  float      conv[2 * 3 * 4 * 5], bias[G_N_ELEMENTS (specials)], one = 42.0f;
  HzTensor   in[] = {
    { "conv.weight", 4, { 2, 3, 4, 5 }, conv },
    { "specials", 1, { G_N_ELEMENTS (specials) }, bias },
    { "module.x.y_z", 2, { 1, 1 }, &one },
  };
  char      *path = tmp_path (half ? "half.hzw" : "full.hzw");
  GError    *error = NULL;
  HzWeights *w;

  for (guint k = 0; k < G_N_ELEMENTS (conv); k++)
    conv[k] = g_test_rand_double_range (-2, 2);
  /* fp16 has no room for those that round to infinity */
  for (guint k = 0; k < G_N_ELEMENTS (specials); k++)
    bias[k] = half && isinf (reference_half (specials[k])) ? 1.0f : specials[k];
  g_assert_true (hz_weights_write (path, in, G_N_ELEMENTS (in), half, &error));
  g_assert_no_error (error);
  w = hz_weights_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hz_weights_source (w), ==, path);
  g_assert_cmpuint (hz_weights_n_tensors (w), ==, G_N_ELEMENTS (in));
  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    {
      const HzTensor *t = hz_weights_lookup (w, in[i].name);
      gsize           count = 1;

      g_assert_nonnull (t);
      g_assert_true (t == hz_weights_nth (w, i));
      g_assert_cmpint (t->ndim, ==, in[i].ndim);
      for (int d = 0; d < t->ndim; d++)
        {
          g_assert_cmpint (t->shape[d], ==, in[i].shape[d]);
          count *= t->shape[d];
        }
      /* fp32 data is used in place: aligned for vector loads too */
      if (!half)
        g_assert_cmpuint ((guintptr) t->data % 64, ==, 0);
      for (gsize k = 0; k < count; k++)
        {
          float v = in[i].data[k];

          assert_same_float (t->data[k], half ? reference_half (v) : v);
          if (half && fabsf (v) <= 65504 && fabsf (v) >= 0x1p-14f)
            g_assert_cmpfloat (fabsf (t->data[k] - v), <=, fabsf (v) * 0x1p-11f);
        }
    }
  hz_weights_free (w);
  g_unlink (path);
  g_free (path);
}

static void
test_round_trip_fp32 (void)
{
  round_trip (FALSE);
}

static void
test_round_trip_fp16 (void)
{
  round_trip (TRUE);
}

/* Every finite fp16 value (as fp32) survives fp16 writing and reading
 * unchanged; the 2048 others stand for zero here (see test_non_finite). */
static void
test_fp16_every_value (void)
{
  float     *values = g_new (float, 65536);
  HzTensor   t = { "all", 2, { 256, 256 }, values };
  char      *path = tmp_path ("all.hzw");
  GError    *error = NULL;
  HzWeights *w;

  for (guint h = 0; h < 65536; h++)
    {
      int   e = (h >> 10) & 31, m = h & 1023;
      float v = e == 31 ? 0.0f : e ? ldexpf (1024 + m, e - 25) : ldexpf (m, -24);

      values[h] = (h & 0x8000) ? -v : v;
    }
  g_assert_true (hz_weights_write (path, &t, 1, TRUE, &error));
  w = hz_weights_open (path, &error);
  g_assert_no_error (error);
  for (guint h = 0; h < 65536; h++)
    assert_same_float (hz_weights_nth (w, 0)->data[h], values[h]);
  hz_weights_free (w);
  g_unlink (path);
  g_free (path);
  g_free (values);
}

/* The writer makes the same bytes as the builder written from FORMAT.md. */
static void
test_writer_matches_format (void)
{
  static const Spec specs[] = { { "a", 0, 2, { 3, 5 } }, { "bb", 0, 1, { 7 } } };
  float       a[15], bb[7];
  HzTensor    in[] = { { "a", 2, { 3, 5 }, a }, { "bb", 1, { 7 }, bb } };
  Layout      layout;
  GByteArray *b = build (NULL, NULL, specs, 2, &layout);
  char       *path = tmp_path ("writer.hzw"), *contents;
  gsize       len;

  for (guint k = 0; k < 15; k++)
    a[k] = element (0, k);
  for (guint k = 0; k < 7; k++)
    bb[k] = element (1, k);
  g_assert_true (hz_weights_write (path, in, 2, FALSE, NULL));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, b->data, b->len);
  g_free (contents);
  g_unlink (path);
  g_free (path);
  g_byte_array_unref (b);
}

static void
test_writer_refuses (void)
{
  float     v = 1;
  HzTensor  dup[] = { { "x", 1, { 1 }, &v }, { "x", 1, { 1 }, &v } };
  HzTensor  spaced = { "a b", 1, { 1 }, &v };
  HzTensor  flat = { "z", 0, { 1 }, &v };
  HzTensor  empty = { "e", 2, { 1, 0 }, &v };
  char     *path = tmp_path ("refused.hzw");
  GError   *error = NULL;

  g_assert_false (hz_weights_write (path, dup, 2, FALSE, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "appears twice"));
  g_clear_error (&error);
  g_assert_false (hz_weights_write (path, &spaced, 1, FALSE, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_clear_error (&error);
  g_assert_false (hz_weights_write (path, &flat, 1, FALSE, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_clear_error (&error);
  g_assert_false (hz_weights_write (path, &empty, 1, FALSE, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_clear_error (&error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);
}

/* ---- defects ---------------------------------------------------------------- */

static void
test_missing_file (void)
{
  char      *path = tmp_path ("no-such-file.hzw");
  GError    *error = NULL;
  HzWeights *w = hz_weights_open (path, &error);

  g_assert_null (w);
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "No such file"));
  g_clear_error (&error);
  w = hz_weights_open (g_get_tmp_dir (), &error);       /* a directory */
  g_assert_null (w);
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_clear_error (&error);
  /* A named pipe nobody writes to: refused at once, not waited on (the
   * alarm ends the test if the open blocks). */
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  alarm (10);
  w = hz_weights_open (path, &error);
  alarm (0);
  g_assert_null (w);
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_unlink (path);
  g_free (path);
}

static void
test_empty_file (void)
{
  char      *path = tmp_path ("empty.hzw");
  GError    *error = NULL;
  HzWeights *w;

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  w = hz_weights_open (path, &error);
  g_assert_null (w);
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "empty file"));
  g_error_free (error);
  g_unlink (path);
  g_free (path);
}

static void
test_bad_magic (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);

  b->data[1] = 'P';            /* "\x89PNG..." */
  expect_error (b, "not a gimp-harmonize weights file (bad magic)");
  g_byte_array_set_size (b, 5);
  expect_error (b, "bad magic");
  g_byte_array_unref (b);
}

static void
test_version (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);

  set32 (b, 8, 3);
  expect_error (b, "format version 3 is newer than this engine reads (1)");
  set32 (b, 8, 0);
  expect_error (b, "unknown format version 0");
  g_byte_array_unref (b);
}

/* Every proper prefix of a valid file is refused. */
static void
test_truncated_everywhere (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);
  char       *short_file = g_strdup_printf ("of the %u bytes its header announces", b->len);

  for (gsize len = b->len; len-- > 0;)
    {
      g_byte_array_set_size (b, len);
      expect_error (b, len == 0 ? "empty file" : len < 8 ? "bad magic"
                       : len < 64 ? "truncated: the header ends past the end of the file" : short_file);
    }
  g_free (short_file);
  g_byte_array_unref (b);
}

/* A changed byte anywhere is caught: by the field it lands in, or the checksum. */
static void
test_flipped_byte_everywhere (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);

  for (gsize pos = 0; pos < b->len; pos++)
    {
      const char *expected = pos < 8 ? "bad magic" : pos < 12 ? "format version"
                             : pos >= 24 && pos < 32 ? "bytes"
                             : pos >= 36 && pos < 64 ? "reserved header bytes are not zero"
                             : "checksum mismatch (file corrupt)";

      b->data[pos] ^= 0x5a;
      expect_error (b, expected);
      b->data[pos] ^= 0x5a;
    }
  g_byte_array_unref (b);
}

/* NaN and infinities, fp32 or fp16, with a good checksum: refused at load,
 * naming the tensor and the element. */
static void
test_non_finite (void)
{
  static const struct { guint tensor, element; guint32 bits; const char *message; } cases[] = {
    { 0, 5, 0x7fc00000, "tensor 'conv.weight' holds nan at element 5" },
    { 0, 17, 0xff800000, "tensor 'conv.weight' holds -inf at element 17" },
    { 1, 1, 0x7c00, "tensor 'conv.bias' holds inf at element 1" },
    { 1, 0, 0xfe00, "tensor 'conv.bias' holds -nan at element 0" },
  };
  Layout layout;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GByteArray *b = build_small (&layout);
      guint       esize = small_specs[cases[i].tensor].dtype ? 2 : 4;

      set_le (b, layout.data[cases[i].tensor] + esize * cases[i].element, cases[i].bits, esize);
      fix_checksum (b);
      expect_error (b, cases[i].message);
      g_byte_array_unref (b);
    }
}

static void
test_trailing_data (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);
  char       *message = g_strdup_printf ("4 bytes of unexpected data after the %u bytes its header announces", b->len);

  put32 (b, 0);
  expect_error (b, message);
  g_free (message);
  set64 (b, 24, b->len);
  fix_checksum (b);
  expect_error (b, "4 bytes of unexpected data after the last tensor");
  g_byte_array_unref (b);
}

/* Patches one field of a valid file (checksum mended) and expects the message. */
typedef enum { AT_NAME_LEN, AT_NAME, AT_DTYPE, AT_NDIM, AT_SHAPE, AT_OFFSET, AT_N_BYTES } Field;

static void
expect_patched (guint       tensor,
                Field       field,
                guint64     value,
                const char *expected)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);
  gsize       pos[] = { layout.name_len[tensor], layout.name_len[tensor] + 4, layout.dtype[tensor],
                        layout.ndim[tensor], layout.shape[tensor], layout.offset[tensor],
                        layout.n_bytes[tensor] };

  if (field == AT_SHAPE || field == AT_OFFSET || field == AT_N_BYTES)
    set64 (b, pos[field], value);
  else if (field == AT_NAME)
    b->data[pos[field]] = value;
  else
    set32 (b, pos[field], value);
  fix_checksum (b);
  expect_error (b, expected);
  g_byte_array_unref (b);
}

static void
test_bad_index (void)
{
  expect_patched (0, AT_DTYPE, 2, "tensor 'conv.weight' has unknown data type 2");
  expect_patched (1, AT_NDIM, 5, "tensor 'conv.bias' has 5 dimensions (1 to 4 allowed)");
  expect_patched (1, AT_NDIM, 0, "has 0 dimensions");
  expect_patched (0, AT_SHAPE, 0, "tensor 'conv.weight' has a dimension of size 0");
  expect_patched (0, AT_SHAPE, G_GUINT64_CONSTANT (1) << 62, "has a shape too large for the file");
  expect_patched (0, AT_SHAPE, G_MAXUINT64, "has a shape too large for the file");
  expect_patched (2, AT_N_BYTES, 16, "tensor 'bn.running_var' claims 16 bytes of data, its shape needs 12");
  expect_patched (0, AT_NAME_LEN, 0, "a tensor name has a length of 0 bytes");
  expect_patched (0, AT_NAME_LEN, 256, "a tensor name has a length of 256 bytes");
  expect_patched (0, AT_NAME_LEN, G_MAXUINT32, "a tensor name has a length of");
  expect_patched (0, AT_NAME, ' ', "a tensor name holds a byte 0x20 that is not printable ASCII");
  expect_patched (0, AT_NAME, 0, "not printable ASCII");
  expect_patched (1, AT_NAME, 0xc3, "not printable ASCII");
}

static void
test_bad_offsets (void)
{
  Layout layout;
  char  *misaligned;

  g_byte_array_unref (build_small (&layout));
  misaligned = g_strdup_printf ("tensor 'conv.bias' data offset %" G_GSIZE_FORMAT
                                " is not a multiple of the alignment 64", layout.data[1] + 4);
  expect_patched (1, AT_OFFSET, layout.data[1] + 4, misaligned);
  g_free (misaligned);
  expect_patched (1, AT_OFFSET, layout.data[0], "tensor 'conv.bias' data overlaps");
  expect_patched (0, AT_OFFSET, 0, "tensor 'conv.weight' data overlaps the index");
  expect_patched (2, AT_OFFSET, layout.data[2] + 64,
                  "truncated: tensor 'bn.running_var' data ends past the end of the file");
  /* offset + size would wrap around 2^64 */
  expect_patched (2, AT_OFFSET, G_MAXUINT64 - 63,
                  "truncated: tensor 'bn.running_var' data ends past the end of the file");
}

static void
test_bad_header_fields (void)
{
  Layout      layout;
  GByteArray *b = build_small (&layout);

  set32 (b, 12, 48);
  fix_checksum (b);
  expect_error (b, "alignment 48 is not a power of two");
  set32 (b, 12, 2);
  fix_checksum (b);
  expect_error (b, "alignment 2 is not a power of two");
  set32 (b, 12, 64);
  set32 (b, 20, G_MAXUINT32);
  fix_checksum (b);
  expect_error (b, "truncated: the tensor index (4294967295 tensors)");
  set32 (b, 20, 2);
  fix_checksum (b);
  expect_error (b, "unexpected data after the last tensor");
  set32 (b, 20, 3);
  /* A second metadata entry: the first index entry's name and dtype read as
   * one, then its ndim (4) as a name length, its first dimension as a name. */
  set32 (b, 16, 2);
  fix_checksum (b);
  expect_error (b, "a tensor name holds a byte 0x02 that is not printable ASCII");
  /* No metadata: its key read as a tensor name, its value length (4) as a dtype. */
  set32 (b, 16, 0);
  fix_checksum (b);
  expect_error (b, "tensor 'architecture' has unknown data type 4");
  g_byte_array_unref (b);
}

static void
test_duplicates (void)
{
  static const Spec twice[] = { { "w", 0, 1, { 2 } }, { "w", 0, 1, { 3 } } };
  Layout      layout;
  GByteArray *b = build (NULL, NULL, twice, 2, &layout);

  expect_error (b, "tensor 'w' appears twice");
  g_byte_array_unref (b);
}

static void
test_bad_metadata (void)
{
  Layout      layout;
  GByteArray *b = build ("architecture", "ssh\xff", NULL, 0, &layout);

  expect_error (b, "metadata 'architecture' is not valid UTF-8 text");
  g_byte_array_unref (b);
  b = build ("arch itecture", "x", NULL, 0, &layout);
  expect_error (b, "a metadata key holds a byte 0x20");
  g_byte_array_unref (b);
  b = build ("k", "x", NULL, 0, &layout);
  set32 (b, 64 + 4 + 1, 1000);       /* value length past the end */
  fix_checksum (b);
  expect_error (b, "truncated: a metadata value ends past the end of the file");
  g_byte_array_unref (b);
}

/* ---- the architecture --------------------------------------------------------- */

/* Writes the architecture's tensors (zeros, fp16) with one changed by edit. */
static HzWeights *
arch_weights_at (int         width,
                 const char *drop,
                 const char *reshape,
                 const char *extra)
{
  guint               n, m = 0;
  const HzArchTensor *arch = hz_arch_tensors (width, &n);
  HzTensor           *t = g_new0 (HzTensor, n + 1);
  float              *zeros = g_new0 (float, 1024 * 512 * 9);
  char               *path = tmp_path ("arch.hzw");
  GError             *error = NULL;
  HzWeights          *w;

  for (guint i = 0; i < n; i++)
    {
      if (drop && strcmp (arch[i].name, drop) == 0)
        continue;
      t[m].name = arch[i].name;
      t[m].ndim = arch[i].ndim;
      memcpy (t[m].shape, arch[i].shape, sizeof t[m].shape);
      t[m].data = zeros;
      if (reshape && strcmp (arch[i].name, reshape) == 0)
        t[m].shape[t[m].ndim - 1] += 2;
      m++;
    }
  if (extra)
    t[m++] = (HzTensor) { extra, 1, { 4 }, zeros };
  g_assert_true (hz_weights_write (path, t, m, TRUE, &error));
  g_assert_no_error (error);
  w = hz_weights_open (path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_free (path);
  g_free (zeros);
  g_free (t);
  return w;
}

static HzWeights *
arch_weights (const char *drop,
              const char *reshape,
              const char *extra)
{
  return arch_weights_at (HZ_ARCH_FULL_WIDTH, drop, reshape, extra);
}

static void
expect_arch_error (HzWeights  *w,
                   const char *expected)
{
  GError *error = NULL;

  g_assert_false (hz_arch_check (w, NULL, &error));
  g_assert_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS);
  if (!strstr (error->message, expected))
    g_error ("message \"%s\" lacks \"%s\"", error->message, expected);
  g_error_free (error);
  hz_weights_free (w);
}

static gint64
arch_params (int width)
{
  guint               n;
  const HzArchTensor *arch = hz_arch_tensors (width, &n);
  gint64              params = 0;

  /* ssh_model.py: 176 state_dict entries less 22 num_batches_tracked */
  g_assert_cmpuint (n, ==, 154);
  for (guint i = 0; i < n; i++)
    {
      gint64 count = 1;

      for (int d = 0; d < arch[i].ndim; d++)
        count *= arch[i].shape[d];
      params += count;
    }
  return params;
}

static void
test_arch (void)
{
  HzWeights          *w = arch_weights (NULL, NULL, NULL);
  GError             *error = NULL;
  int                 width = 0;
  Layout              layout;
  GByteArray         *b;

  /* numel of UNetTileSENorm (width).state_dict () less num_batches_tracked */
  g_assert_cmpint (arch_params (32), ==, 15201123);
  g_assert_cmpint (arch_params (8), ==, 955227);
  g_assert_true (hz_arch_check (w, &width, &error));
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, 32);
  hz_weights_free (w);
  w = arch_weights_at (8, NULL, NULL, NULL);
  g_assert_true (hz_arch_check (w, &width, &error));
  g_assert_no_error (error);
  g_assert_cmpint (width, ==, 8);
  hz_weights_free (w);
  g_assert_false (hz_arch_width_ok (12));
  expect_arch_error (arch_weights_at (8, NULL, "conv1_1.weight", NULL),
                     "tensor 'conv1_1.weight' has shape [8, 3, 3, 5], expected [8, 3, 3, 3] for width 8");
  expect_arch_error (arch_weights_at (16, NULL, NULL, "bn9_2.weight"), "unexpected tensor 'bn9_2.weight'");

  expect_arch_error (arch_weights ("bn6_2.running_var", NULL, NULL), "tensor 'bn6_2.running_var' is missing");
  expect_arch_error (arch_weights (NULL, "conv10.weight", NULL),
                     "tensor 'conv10.weight' has shape [3, 32, 1, 3], expected [3, 32, 1, 1]");
  expect_arch_error (arch_weights (NULL, "se_1.fc.0.bias", NULL), "has shape [130], expected [128]");
  expect_arch_error (arch_weights (NULL, NULL, "bn9_2.weight"),
                     "unexpected tensor 'bn9_2.weight' (not part of ssh-unet-tile-se-norm)");

  b = build ("architecture", "pix2pix", NULL, 0, &layout);
  expect_arch_error (hz_weights_from_data (b->data, b->len, NULL),
                     "weights data: made for the architecture 'pix2pix', not ssh-unet-tile-se-norm");
  g_byte_array_unref (b);
  b = build ("architecture", "ssh-unet-tile-se-norm", small_specs, 1, &layout);
  expect_arch_error (hz_weights_from_data (b->data, b->len, NULL), "tensor 'conv1_1.weight' is missing");
  g_byte_array_unref (b);
  for (guint i = 0; i < 4; i++)
    {
      const char *bad[] = { "12", "64", "-8", "8x" };

      b = build ("width", bad[i], NULL, 0, &layout);
      expect_arch_error (hz_weights_from_data (b->data, b->len, NULL),
                         "is not one this engine runs (4, 8, 16, 32)");
      g_byte_array_unref (b);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/weights/builder-file", test_builder_file);
  g_test_add_func ("/weights/round-trip-fp32", test_round_trip_fp32);
  g_test_add_func ("/weights/round-trip-fp16", test_round_trip_fp16);
  g_test_add_func ("/weights/fp16-every-value", test_fp16_every_value);
  g_test_add_func ("/weights/writer-matches-format", test_writer_matches_format);
  g_test_add_func ("/weights/writer-refuses", test_writer_refuses);
  g_test_add_func ("/weights/missing-file", test_missing_file);
  g_test_add_func ("/weights/empty-file", test_empty_file);
  g_test_add_func ("/weights/bad-magic", test_bad_magic);
  g_test_add_func ("/weights/version", test_version);
  g_test_add_func ("/weights/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/weights/flipped-byte-everywhere", test_flipped_byte_everywhere);
  g_test_add_func ("/weights/trailing-data", test_trailing_data);
  g_test_add_func ("/weights/non-finite", test_non_finite);
  g_test_add_func ("/weights/bad-index", test_bad_index);
  g_test_add_func ("/weights/bad-offsets", test_bad_offsets);
  g_test_add_func ("/weights/bad-header-fields", test_bad_header_fields);
  g_test_add_func ("/weights/duplicates", test_duplicates);
  g_test_add_func ("/weights/bad-metadata", test_bad_metadata);
  g_test_add_func ("/weights/arch", test_arch);
  return g_test_run ();
}
