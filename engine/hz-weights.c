/* Weights files: loading (mapped, every field checked before it is used) and
 * writing. The layout is described byte by byte in weights/FORMAT.md. */
#include "hz-weights.h"
#include "harmonize.h"
#include "hz-clones.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <zlib.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>

#define MAGIC            "\x89HZW\r\n\x1a\n"
#define MAGIC_SIZE       8
#define HEADER_SIZE      64
#define CHECKSUM_OFFSET  32
#define CHECKSUM_FIELD   32            /* the CRC-32, then reserved zero bytes */
#define CHECKSUM_SIZE    4
#define FORMAT_VERSION   1
#define WRITE_ALIGNMENT  64
#define ALIGNMENT_MIN    4
#define ALIGNMENT_MAX    65536
#define NAME_MAX_BYTES   255
#define VALUE_MAX_BYTES  65536

enum
{
  DTYPE_F32 = 0,
  DTYPE_F16 = 1
};

struct _HzWeights
{
  char       *source;      /* the path, or a description of data in memory */
  GBytes     *bytes;       /* the whole file, mapped or copied */
  HzTensor   *tensors;
  guint       n_tensors;
  GHashTable *by_name;     /* name -> HzTensor * */
  GHashTable *meta;        /* key -> value, both owned */
  GPtrArray  *owned;       /* fp32 data made at load time (fp16, unaligned) */
};

/* ---- parsing -------------------------------------------------------------- */

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;
  const char   *source;
  GError      **error;
} Reader;

static gboolean fail (const Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (const Reader *r,
      const char   *format,
      ...)
{
  va_list  args;
  char    *what;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, HZ_ERROR, HZ_ERROR_WEIGHTS, "%s: %s", r->source, what);
  g_free (what);
  return FALSE;
}

/* what names the field for the message when the file ends inside it. */
static gboolean
read_bytes (Reader        *r,
            gsize          n,
            const guint8 **out,
            const char    *what)
{
  if (n > r->size - r->pos)
    return fail (r, _("truncated: %s ends past the end of the file"), _(what));
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

/* A little-endian integer of size bytes. */
static gboolean
read_le (Reader     *r,
         guint64    *out,
         const char *what,
         guint       size)
{
  const guint8 *p;

  if (!read_bytes (r, size, &p, what))
    return FALSE;
  *out = 0;
  for (guint i = size; i-- > 0;)
    *out = *out << 8 | p[i];
  return TRUE;
}

static gboolean
read_u32 (Reader     *r,
          guint32    *out,
          const char *what)
{
  guint64 v;

  if (!read_le (r, &v, what, 4))
    return FALSE;
  *out = v;
  return TRUE;
}

/* Names and keys: 1..255 bytes of printable ASCII without spaces. */
static gboolean
read_name (Reader     *r,
           char      **out,
           const char *what)
{
  const guint8 *p;
  guint32       len;

  if (!read_u32 (r, &len, what))
    return FALSE;
  if (len == 0 || len > NAME_MAX_BYTES)
    return fail (r, _("%s has a length of %u bytes (1 to %d allowed)"), _(what), len, NAME_MAX_BYTES);
  if (!read_bytes (r, len, &p, what))
    return FALSE;
  for (guint32 i = 0; i < len; i++)
    if (p[i] < 0x21 || p[i] > 0x7e)
      return fail (r, _("%s holds a byte 0x%02x that is not printable ASCII"), _(what), p[i]);
  *out = g_strndup ((const char *) p, len);
  return TRUE;
}

static gboolean
read_meta (Reader     *r,
           GHashTable *meta,
           guint32     n)
{
  for (guint32 i = 0; i < n; i++)
    {
      const guint8 *p;
      char         *key;
      guint32       len;

      if (!read_name (r, &key, N_("a metadata key")))
        return FALSE;
      if (g_hash_table_contains (meta, key))
        fail (r, _("metadata key '%s' appears twice"), key);
      else if (!read_u32 (r, &len, N_("a metadata value")) ||
               !read_bytes (r, len, &p, N_("a metadata value")))
        ;
      else if (len > VALUE_MAX_BYTES)
        fail (r, _("metadata '%s' is longer than %d bytes"), key, VALUE_MAX_BYTES);
      else if (memchr (p, 0, len) || !g_utf8_validate ((const char *) p, len, NULL))
        fail (r, _("metadata '%s' is not valid UTF-8 text"), key);
      else
        {
          g_hash_table_insert (meta, key, g_strndup ((const char *) p, len));
          continue;
        }
      g_free (key);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  guint32 dtype;
  guint64 offset;
  guint64 n_bytes;
} Placement;

static gboolean
read_tensor_entry (Reader    *r,
                   HzTensor  *t,
                   Placement *place)
{
  guint32 ndim;
  guint64 count = 1, expected;
  char   *name;

  if (!read_name (r, &name, N_("a tensor name")))
    return FALSE;
  t->name = name;
  if (!read_u32 (r, &place->dtype, N_("the tensor index")) ||
      !read_u32 (r, &ndim, N_("the tensor index")))
    return FALSE;
  if (place->dtype != DTYPE_F32 && place->dtype != DTYPE_F16)
    return fail (r, _("tensor '%s' has unknown data type %u"), name, place->dtype);
  if (ndim < 1 || ndim > HZ_WEIGHTS_MAX_DIMS)
    return fail (r, _("tensor '%s' has %u dimensions (1 to %d allowed)"),
                 name, ndim, HZ_WEIGHTS_MAX_DIMS);
  t->ndim = ndim;
  for (guint32 d = 0; d < ndim; d++)
    {
      guint64 dim;

      if (!read_le (r, &dim, N_("the tensor index"), 8))
        return FALSE;
      if (dim == 0)
        return fail (r, _("tensor '%s' has a dimension of size 0"), name);
      /* Every element needs at least two bytes of the file. */
      if (!g_uint64_checked_mul (&count, count, dim) || count > r->size)
        return fail (r, _("tensor '%s' has a shape too large for the file"), name);
      t->shape[d] = (int64_t) dim;
    }
  if (!read_le (r, &place->offset, N_("the tensor index"), 8) ||
      !read_le (r, &place->n_bytes, N_("the tensor index"), 8))
    return FALSE;
  expected = count * (place->dtype == DTYPE_F32 ? 4 : 2);
  if (place->n_bytes != expected)
    return fail (r, _("tensor '%s' claims %" PRIu64 " bytes of data, its shape needs %"
                 PRIu64), name, place->n_bytes, expected);
  return TRUE;
}

/* Round to nearest, ties to even, as numpy's astype(float16). */
static guint16
float_to_half (float f)
{
  guint32 bits, magnitude;
  guint16 sign;

  memcpy (&bits, &f, 4);
  sign = (bits >> 16) & 0x8000;
  magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000)                               /* NaN: keep it quiet */
    return sign | 0x7e00 | ((magnitude >> 13) & 0x3ff);
  if (magnitude >= 0x477ff000)                              /* >= 65520: inf */
    return sign | 0x7c00;
  if (magnitude < 0x38800000)                               /* below 2^-14: subnormal */
    {
      guint32 exponent = magnitude >> 23;
      guint32 mantissa = (magnitude & 0x7fffff) | 0x800000;
      guint32 shift = 126 - exponent;                       /* to units of 2^-24 */
      guint32 q, rest, half;

      if (exponent == 0 || shift > 24)
        return sign;
      q = mantissa >> shift;
      rest = mantissa & ((1u << shift) - 1);
      half = 1u << (shift - 1);
      if (rest > half || (rest == half && (q & 1)))
        q++;
      return sign | q;
    }
  else
    {
      guint32 h = (magnitude - 0x38000000) >> 13;           /* rebias 127 -> 15 */
      guint32 rest = magnitude & 0x1fff;

      if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;                                                /* may carry into the exponent */
      return sign | h;
    }
}

#if !defined (__FLT16_MANT_DIG__) || G_BYTE_ORDER != G_LITTLE_ENDIAN
static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;
  guint32 bits;
  float   f;

  if (exponent == 0)
    {
      /* zero or subnormal: mantissa * 2^-24, exact in fp32 */
      f = (float) mantissa * 0x1p-24f;
      return sign ? -f : f;
    }
  if (exponent == 0x1f)
    bits = sign | 0x7f800000 | (mantissa << 13);            /* inf, NaN */
  else
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  memcpy (&f, &bits, 4);
  return f;
}
#endif

/* n little-endian fp16 values into floats: by the compiler's _Float16 where
 * it has one on a little-endian host (F16C's vector conversion in the
 * x86-64-v3 copy), else by hand. */
#if defined (__FLT16_MANT_DIG__) && G_BYTE_ORDER == G_LITTLE_ENDIAN
typedef _Float16 UnalignedHalf __attribute__ ((aligned (1)));

HZ_X86_64_V3_CLONES static void
halves_to_floats (const guint8 *p,
                  gsize         n,
                  float        *out)
{
  const UnalignedHalf *h = (const UnalignedHalf *) p;

  for (gsize i = 0; i < n; i++)
    out[i] = h[i];
}
#else
static void
halves_to_floats (const guint8 *p,
                  gsize         n,
                  float        *out)
{
  for (gsize i = 0; i < n; i++)
    {
      guint16 v;

      memcpy (&v, p + 2 * i, 2);
      out[i] = half_to_float (GUINT16_FROM_LE (v));
    }
}
#endif

static gsize
element_count (const Placement *place)
{
  return place->n_bytes / (place->dtype == DTYPE_F32 ? 4 : 2);
}

/* fp32 data is used in place when the host is little-endian and it is aligned
 * for floats; otherwise (fp16, or that rare case) it is converted once here. */
static const float *
tensor_data (HzWeights       *w,
             const guint8    *p,
             const Placement *place)
{
  gsize  count = element_count (place);
  float *out;

  if (place->dtype == DTYPE_F32 && G_BYTE_ORDER == G_LITTLE_ENDIAN &&
      (guintptr) p % G_ALIGNOF (float) == 0)
    return (const float *) p;

  out = g_new (float, MAX (count, 1));
  g_ptr_array_add (w->owned, out);
  if (place->dtype == DTYPE_F16)
    halves_to_floats (p, count, out);
  else
    for (gsize i = 0; i < count; i++)
      {
        guint32 v;

        memcpy (&v, p + 4 * i, 4);
        v = GUINT32_FROM_LE (v);
        memcpy (out + i, &v, 4);
      }
  return out;
}

/* Checked once here, at load, rather than on the network's output: one NaN
 * or infinity in a weight makes every output NaN, which the colour fit turns
 * into a black foreground without a word, and a file is loaded once but run
 * many times. The index of the first non-finite value, or -1. */
static gssize
first_non_finite (const float *data,
                  gsize        count)
{
  enum { BLOCK = 64 };
  gsize i = 0;

  /* Blocks first, by the exponent's bits, which the compiler vectorises. */
  for (; i + BLOCK <= count; i += BLOCK)
    {
      guint32 bad = 0;
      for (int k = 0; k < BLOCK; k++)
        {
          guint32 bits;
          memcpy (&bits, data + i + k, 4);
          bad |= (bits & 0x7f800000) == 0x7f800000;
        }
      if (bad)
        break;
    }
  for (; i < count; i++)
    if (!isfinite (data[i]))
      return i;
  return -1;
}

/* CRC-32 of the file with its whole checksum field read as zeros. It guards
 * against corruption, not tampering, at a fraction of SHA-256's time. */
static guint32
compute_checksum (const guint8 *data,
                  gsize         size)
{
  static const guint8 zeros[CHECKSUM_FIELD];
  uLong crc = crc32_z (0, Z_NULL, 0);

  crc = crc32_z (crc, data, CHECKSUM_OFFSET);
  crc = crc32_z (crc, zeros, CHECKSUM_FIELD);
  crc = crc32_z (crc, data + HEADER_SIZE, size - HEADER_SIZE);
  return crc;
}

static gboolean
read_header (Reader  *r,
             guint32 *alignment,
             guint32 *n_meta,
             guint32 *n_tensors)
{
  guint32 version, stored;
  guint64 file_size;

  if (r->size == 0)
    return fail (r, _("empty file (not a gimp-harmonize weights file)"));
  if (r->size < MAGIC_SIZE || memcmp (r->data, MAGIC, MAGIC_SIZE) != 0)
    return fail (r, _("not a gimp-harmonize weights file (bad magic)"));
  r->pos = MAGIC_SIZE;
  if (!read_u32 (r, &version, N_("the header")))
    return FALSE;
  if (version > FORMAT_VERSION)
    return fail (r, _("format version %u is newer than this engine reads (%d)"), version, FORMAT_VERSION);
  if (version != FORMAT_VERSION)
    return fail (r, _("unknown format version %u (this engine reads %d)"), version, FORMAT_VERSION);
  if (!read_u32 (r, alignment, N_("the header")) ||
      !read_u32 (r, n_meta, N_("the header")) ||
      !read_u32 (r, n_tensors, N_("the header")) ||
      !read_le (r, &file_size, N_("the header"), 8))
    return FALSE;
  if (r->size < HEADER_SIZE)
    return fail (r, _("truncated: the header ends past the end of the file"));
  if (file_size > r->size)
    return fail (r, _("truncated: %zu of the %" PRIu64 " bytes its header announces"),
                 r->size, file_size);
  if (file_size < r->size)
    return fail (r, _("%" PRIu64 " bytes of unexpected data after the %" PRIu64
                 " bytes its header announces"), r->size - file_size, file_size);
  /* The reserved bytes are not under the checksum: they must be zeros. */
  for (guint i = CHECKSUM_SIZE; i < CHECKSUM_FIELD; i++)
    if (r->data[CHECKSUM_OFFSET + i] != 0)
      return fail (r, _("reserved header bytes are not zero"));
  if (!read_u32 (r, &stored, N_("the header")))
    return FALSE;
  if (compute_checksum (r->data, r->size) != stored)
    return fail (r, _("checksum mismatch (file corrupt)"));
  if (*alignment < ALIGNMENT_MIN || *alignment > ALIGNMENT_MAX || (*alignment & (*alignment - 1)))
    return fail (r, _("alignment %u is not a power of two from %d to %d"),
                 *alignment, ALIGNMENT_MIN, ALIGNMENT_MAX);
  r->pos = HEADER_SIZE;
  return TRUE;
}

static gboolean
parse (HzWeights *w,
       GError   **error)
{
  Reader     r = { NULL, 0, 0, w->source, error };
  Placement *places = NULL;
  guint32    alignment, n_meta, n_tensors;
  guint64    end;
  gboolean   ok = FALSE;

  r.data = g_bytes_get_data (w->bytes, &r.size);
  if (!read_header (&r, &alignment, &n_meta, &n_tensors) ||
      !read_meta (&r, w->meta, n_meta))
    return FALSE;

  /* An index entry takes at least 37 bytes: bound the count before allocating. */
  if (n_tensors > (r.size - r.pos) / 37)
    return fail (&r, _("truncated: the tensor index (%u tensors) ends past the end of the file"), n_tensors);
  w->tensors = g_new0 (HzTensor, MAX (n_tensors, 1));
  places = g_new0 (Placement, MAX (n_tensors, 1));
  for (guint32 i = 0; i < n_tensors; i++)
    {
      HzTensor *t = &w->tensors[i];

      w->n_tensors = i + 1;   /* so that hz_weights_free frees its name */
      if (!read_tensor_entry (&r, t, &places[i]))
        goto out;
      if (!g_hash_table_insert (w->by_name, (gpointer) t->name, t))
        {
          fail (&r, _("tensor '%s' appears twice"), t->name);
          goto out;
        }
    }

  /* Data: aligned, in index order, without overlaps; the file ends with the last. */
  end = r.pos;
  for (guint32 i = 0; i < n_tensors; i++)
    {
      const Placement *place = &places[i];
      const char      *name = w->tensors[i].name;

      if (place->offset % alignment != 0)
        {
          fail (&r, _("tensor '%s' data offset %" PRIu64 " is not a multiple of the alignment %u"),
                name, place->offset, alignment);
          goto out;
        }
      if (place->offset < end)
        {
          fail (&r, _("tensor '%s' data overlaps the index or the tensor before it"), name);
          goto out;
        }
      if (place->offset > r.size || place->n_bytes > r.size - place->offset)
        {
          fail (&r, _("truncated: tensor '%s' data ends past the end of the file"), name);
          goto out;
        }
      end = place->offset + place->n_bytes;
      w->tensors[i].data = tensor_data (w, r.data + place->offset, place);
      gssize bad = first_non_finite (w->tensors[i].data, element_count (place));
      if (bad >= 0)
        {
          fail (&r, _("tensor '%s' holds %g at element %zd (weights must be finite)"),
                name, w->tensors[i].data[bad], bad);
          goto out;
        }
    }
  if (end != r.size)
    {
      fail (&r, _("%" PRIu64 " bytes of unexpected data after the last tensor"), r.size - end);
      goto out;
    }
  ok = TRUE;
out:
  g_free (places);
  return ok;
}

static HzWeights *
weights_new (const char *source,
             GBytes     *bytes,
             GError    **error)
{
  HzWeights *w = g_new0 (HzWeights, 1);

  w->source = g_strdup (source);
  w->bytes = bytes;
  w->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  w->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w->owned = g_ptr_array_new_with_free_func (g_free);
  if (!parse (w, error))
    {
      hz_weights_free (w);
      return NULL;
    }
  return w;
}

HzWeights *
hz_weights_open (const char *path,
                 GError    **error)
{
  GMappedFile *mapped;
  GBytes      *bytes;
  GError      *map_error = NULL;
  GStatBuf     st;
  int          fd;

  /* Non-blocking, so that a named pipe is refused at once below instead of
   * waiting for a writer; it makes no difference to a regular file. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, _("%s: cannot open the weights file: %s"),
                   path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   _("%s: not a regular file (weights are mapped from a file, not read from a pipe)"), path);
      g_close (fd, NULL);
      return NULL;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &map_error);
  g_close (fd, NULL);
  if (!mapped)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, _("%s: cannot map the weights file: %s"),
                   path, map_error->message);
      g_error_free (map_error);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  g_mapped_file_unref (mapped);
  return weights_new (path, bytes, error);
}

HzWeights *
hz_weights_from_data (const void *data,
                      gsize       size,
                      GError    **error)
{
  return weights_new ("weights data", g_bytes_new (data, size), error);
}

void
hz_weights_free (HzWeights *weights)
{
  if (!weights)
    return;
  for (guint i = 0; i < weights->n_tensors; i++)
    g_free ((char *) weights->tensors[i].name);
  g_free (weights->tensors);
  g_hash_table_unref (weights->by_name);
  g_hash_table_unref (weights->meta);
  g_ptr_array_unref (weights->owned);
  g_bytes_unref (weights->bytes);
  g_free (weights->source);
  g_free (weights);
}

guint
hz_weights_n_tensors (const HzWeights *weights)
{
  return weights->n_tensors;
}

const HzTensor *
hz_weights_nth (const HzWeights *weights,
                guint            i)
{
  g_return_val_if_fail (i < weights->n_tensors, NULL);
  return &weights->tensors[i];
}

const HzTensor *
hz_weights_lookup (const HzWeights *weights,
                   const char      *name)
{
  return g_hash_table_lookup (weights->by_name, name);
}

const char *
hz_weights_source (const HzWeights *weights)
{
  return weights->source;
}

const char *
hz_weights_meta (const HzWeights *weights,
                 const char      *key)
{
  return g_hash_table_lookup (weights->meta, key);
}

/* ---- writing ---------------------------------------------------------------- */

static void
put_u32 (GByteArray *out,
         guint32     v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, 4);
}

static void
put_u64 (GByteArray *out,
         guint64     v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, 8);
}

static gboolean
valid_name (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  if (len == 0 || len > NAME_MAX_BYTES)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) name[i] < 0x21 || (guchar) name[i] > 0x7e)
      return FALSE;
  return TRUE;
}

static guint64
tensor_count (const HzTensor *t)
{
  guint64 count = 1;

  for (int d = 0; d < t->ndim; d++)
    count *= (guint64) t->shape[d];
  return count;
}

static gboolean
check_writable (const HzTensor *tensors,
                guint           n,
                const char     *path,
                GError        **error)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean    ok = TRUE;

  for (guint i = 0; ok && i < n; i++)
    {
      const HzTensor *t = &tensors[i];
      const char     *defect = NULL;

      if (!valid_name (t->name))
        defect = N_("a name of 1 to 255 printable ASCII characters without spaces");
      else if (!g_hash_table_add (seen, (gpointer) t->name))
        defect = N_("a name of its own (it appears twice)");
      else if (t->ndim < 1 || t->ndim > HZ_WEIGHTS_MAX_DIMS)
        defect = N_("1 to 4 dimensions");
      else if (!t->data)
        defect = N_("data");
      for (int d = 0; !defect && d < t->ndim; d++)
        if (t->shape[d] < 1 || t->shape[d] > G_MAXINT32)
          defect = N_("dimensions from 1 to 2^31 - 1");
      if (defect)
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, _("%s: cannot write tensor %u ('%s'): it needs %s"),
                       path, i, t->name ? t->name : "(null)", _(defect));
          ok = FALSE;
        }
    }
  g_hash_table_unref (seen);
  return ok;
}

gboolean
hz_weights_write (const char     *path,
                  const HzTensor *tensors,
                  guint           n,
                  gboolean        half,
                  GError        **error)
{
  GByteArray *out;
  guint64    *offsets;
  guint64     pos, file_size;
  guint32     crc;
  guint       esize = half ? 2 : 4;
  GError     *write_error = NULL;
  gboolean    ok;

  if (!check_writable (tensors, n, path, error))
    return FALSE;

  /* Lay the data out after the index: its size is known before the offsets. */
  pos = HEADER_SIZE;
  for (guint i = 0; i < n; i++)
    pos += 4 + strlen (tensors[i].name) + 4 + 4 + 8 * tensors[i].ndim + 8 + 8;
  offsets = g_new (guint64, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      pos = (pos + WRITE_ALIGNMENT - 1) / WRITE_ALIGNMENT * WRITE_ALIGNMENT;
      offsets[i] = pos;
      pos += tensor_count (&tensors[i]) * esize;
    }
  file_size = pos;

  out = g_byte_array_sized_new (file_size);
  g_byte_array_append (out, (const guint8 *) MAGIC, MAGIC_SIZE);
  put_u32 (out, FORMAT_VERSION);
  put_u32 (out, WRITE_ALIGNMENT);
  put_u32 (out, 0);               /* no metadata from this writer */
  put_u32 (out, n);
  put_u64 (out, file_size);
  g_byte_array_set_size (out, HEADER_SIZE);
  memset (out->data + CHECKSUM_OFFSET, 0, CHECKSUM_FIELD);
  for (guint i = 0; i < n; i++)
    {
      const HzTensor *t = &tensors[i];

      put_u32 (out, strlen (t->name));
      g_byte_array_append (out, (const guint8 *) t->name, strlen (t->name));
      put_u32 (out, half ? DTYPE_F16 : DTYPE_F32);
      put_u32 (out, t->ndim);
      for (int d = 0; d < t->ndim; d++)
        put_u64 (out, t->shape[d]);
      put_u64 (out, offsets[i]);
      put_u64 (out, tensor_count (t) * esize);
    }
  for (guint i = 0; i < n; i++)
    {
      guint64  count = tensor_count (&tensors[i]);
      guint8  *p;
      gsize    start = out->len;

      g_byte_array_set_size (out, offsets[i] + count * esize);
      memset (out->data + start, 0, offsets[i] - start);     /* padding */
      p = out->data + offsets[i];
      for (guint64 k = 0; k < count; k++)
        {
          if (half)
            {
              guint16 v = GUINT16_TO_LE (float_to_half (tensors[i].data[k]));

              memcpy (p + 2 * k, &v, 2);
            }
          else
            {
              guint32 v;

              memcpy (&v, &tensors[i].data[k], 4);
              v = GUINT32_TO_LE (v);
              memcpy (p + 4 * k, &v, 4);
            }
        }
    }
  g_free (offsets);

  crc = GUINT32_TO_LE (compute_checksum (out->data, out->len));
  memcpy (out->data + CHECKSUM_OFFSET, &crc, CHECKSUM_SIZE);
  ok = g_file_set_contents (path, (const char *) out->data, out->len, &write_error);
  if (!ok)
    {
      g_set_error_literal (error, HZ_ERROR, HZ_ERROR_WEIGHTS, write_error->message);
      g_error_free (write_error);
    }
  g_byte_array_unref (out);
  return ok;
}
