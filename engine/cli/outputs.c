/* Output files through temporary files beside them (see outputs.h). */
#include "outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include <glib/gstdio.h>

struct _Outputs
{
  guint              n;
  char             **paths, **temps;
  FILE             **files;
  volatile sig_atomic_t n_made;   /* temps[0 .. n_made) exist */
  struct sigaction   old_int, old_term;
};

/* The set the signal handler cleans up after. */
static Outputs *volatile active;

static void
on_signal (int sig)
{
  Outputs *o = active;

  /* unlink is async-signal-safe; the handler was reset (SA_RESETHAND), so
   * the signal, raised again, ends the program once this returns. */
  for (sig_atomic_t i = 0; o && i < o->n_made; i++)
    unlink (o->temps[i]);
  raise (sig);
}

static gboolean
fail (GError    **error,
      const char *path,
      int         saved_errno)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "cannot write '%s': %s",
               path, g_strerror (saved_errno));
  return FALSE;
}

/* ".NAME.XXXXXX" in path's folder (the final rename stays within one file
 * system), NAME cut short so that the whole stays within NAME_MAX. */
static char *
temp_name (const char *path)
{
  char *dir = g_path_get_dirname (path), *base = g_path_get_basename (path);
  char *name = g_strdup_printf ("%s" G_DIR_SEPARATOR_S ".%.*s.XXXXXX", dir,
                                (int) (NAME_MAX - sizeof ("..XXXXXX") + 1), base);

  g_free (dir);
  g_free (base);
  return name;
}

static gboolean
make_temp (Outputs     *o,
           guint        i,
           GError     **error)
{
  const char *path = o->paths[i];
  int fd;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR, "cannot write '%s': it is a directory",
                   path);
      return FALSE;
    }
  o->temps[i] = temp_name (path);
  fd = g_mkstemp_full (o->temps[i], O_WRONLY, 0666);
  if (fd < 0)
    return fail (error, path, errno);
  atomic_signal_fence (memory_order_seq_cst);   /* the name is there before the handler counts it */
  o->n_made = i + 1;
  o->files[i] = fdopen (fd, "wb");
  if (!o->files[i])
    {
      int saved = errno;
      g_close (fd, NULL);
      return fail (error, path, saved);
    }
  return TRUE;
}

Outputs *
outputs_new (const char * const  *paths,
             guint                n,
             GError             **error)
{
  struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
  Outputs *o;

  g_return_val_if_fail (active == NULL, NULL);

  o = g_new0 (Outputs, 1);
  o->n = n;
  o->paths = g_new0 (char *, n + 1);
  o->temps = g_new0 (char *, n + 1);
  o->files = g_new0 (FILE *, n);
  for (guint i = 0; i < n; i++)
    o->paths[i] = g_strdup (paths[i]);

  active = o;
  sigemptyset (&sa.sa_mask);
  sigaddset (&sa.sa_mask, SIGINT);
  sigaddset (&sa.sa_mask, SIGTERM);
  sigaction (SIGINT, &sa, &o->old_int);
  sigaction (SIGTERM, &sa, &o->old_term);
  for (guint i = 0; i < n; i++)
    if (!make_temp (o, i, error))
      {
        outputs_free (o);
        return NULL;
      }
  return o;
}

FILE *
outputs_file (Outputs *o,
              guint    i)
{
  g_return_val_if_fail (i < o->n, NULL);
  return o->files[i];
}

gboolean
outputs_commit (Outputs  *o,
                GError  **error)
{
  for (guint i = 0; i < o->n; i++)
    {
      FILE *file = o->files[i];

      o->files[i] = NULL;
      if (fclose (file) != 0)
        return fail (error, o->paths[i], errno);
    }
  for (guint i = 0; i < o->n; i++)
    if (g_rename (o->temps[i], o->paths[i]) != 0)
      return fail (error, o->paths[i], errno);
  o->n_made = 0;
  return TRUE;
}

void
outputs_free (Outputs *o)
{
  if (!o)
    return;
  sigaction (SIGINT, &o->old_int, NULL);
  sigaction (SIGTERM, &o->old_term, NULL);
  active = NULL;
  for (guint i = 0; i < o->n; i++)
    if (o->files[i])
      fclose (o->files[i]);
  for (sig_atomic_t i = 0; i < o->n_made; i++)
    g_unlink (o->temps[i]);
  g_strfreev (o->paths);
  g_strfreev (o->temps);
  g_free (o->files);
  g_free (o);
}
