/* Linked into the ThreadSanitizer build of the preview's test: GLib's locks
 * are futexes ThreadSanitizer cannot see, so without help every hand-over
 * between the preview's worker and the main loop looks like a data race.
 * This program's own GMutex, GCond and g_idle_add_full calls (the dynamic
 * linker finds these definitions first) tell it the order GLib enforces,
 * then do GLib's work. GLib's internal locking stays invisible, so the
 * hand-overs this relies on are exactly those hz-preview.c makes. */
#include <dlfcn.h>
#include <glib.h>
#include <pthread.h>

void __tsan_acquire (void *addr);
void __tsan_release (void *addr);

#define REAL(name, type) ((type) dlsym (RTLD_NEXT, name))

typedef void     (*MutexFunc)   (GMutex *);
typedef void     (*CondWait)    (GCond *, GMutex *);
typedef gboolean (*CondUntil)   (GCond *, GMutex *, gint64);
typedef guint    (*IdleAddFull) (gint, GSourceFunc, gpointer, GDestroyNotify);

void
g_mutex_lock (GMutex *mutex)
{
  REAL ("g_mutex_lock", MutexFunc) (mutex);
  __tsan_acquire (mutex);
}

void
g_mutex_unlock (GMutex *mutex)
{
  __tsan_release (mutex);
  REAL ("g_mutex_unlock", MutexFunc) (mutex);
}

void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  __tsan_release (mutex);
  REAL ("g_cond_wait", CondWait) (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  gboolean signalled;

  __tsan_release (mutex);
  signalled = REAL ("g_cond_wait_until", CondUntil) (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return signalled;
}

/* An idle callback runs after the g_idle_add_full that added it, all of
 * it: GLib's own allocations there (the source, made after the call has
 * begun) are freed by the main loop, so the call holds a lock that
 * ThreadSanitizer sees, and the callback and its notify take it before they
 * run (at worst waiting for the call to return; nothing else holds it).
 * An acquire and release on the Idle alone missed the source: a report in
 * session 8's CI. */
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct
{
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify notify;
} Idle;

static void
after_add (void)
{
  pthread_mutex_lock (&idle_lock);
  pthread_mutex_unlock (&idle_lock);
}

static gboolean
idle_run (gpointer data)
{
  Idle *idle = data;

  after_add ();
  return idle->func (idle->data);
}

static void
idle_free (gpointer data)
{
  Idle *idle = data;

  after_add ();
  if (idle->notify)
    idle->notify (idle->data);
  g_free (idle);
}

guint
g_idle_add_full (gint           priority,
                 GSourceFunc    func,
                 gpointer       data,
                 GDestroyNotify notify)
{
  Idle *idle;
  guint id;

  pthread_mutex_lock (&idle_lock);
  idle = g_new (Idle, 1);
  *idle = (Idle) { func, data, notify };
  id = REAL ("g_idle_add_full", IdleAddFull) (priority, idle_run, idle, idle_free);
  pthread_mutex_unlock (&idle_lock);
  return id;
}
