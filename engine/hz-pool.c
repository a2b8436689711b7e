/* hz_parallel_for's pool of threads (harmonize.h says what it promises).
 *
 * One job at a time: the caller posts it, the pool's threads spinning or
 * woken take slots and then indices as they come free, and the caller,
 * once every index is taken, waits for the helpers still at theirs. */

#include "hz-blis.h"

#include <sched.h>
#include <stdatomic.h>

typedef struct
{
  HzParallelFunc fn;
  gpointer       data;
  int            n, n_slots;
  atomic_int     next;      /* the next i to take */
  atomic_int     slots;     /* slots handed out; the caller has 0 */
  atomic_int     helpers;   /* pool threads inside the job (counted in under pool_lock) */
  int            caller_cpu;   /* where the caller was when it posted, or -1 */
} Job;

/* pool_lock is held for a few instructions at a time: posting a job,
 * joining it, closing it. Nobody waits on it asleep if a spin will do
 * (pool_lock_take): a sleep and its wake-up cost more than a small layer. */
static GMutex   pool_lock;
static GCond    pool_wake;          /* a job was posted */
static GCond    pool_left;          /* the last helper left a job */
static Job     *pool_job;           /* the job posted, or NULL */
static atomic_ullong pool_posted;   /* jobs posted so far (written under pool_lock) */
static int      pool_threads;       /* threads in the pool */
static int      pool_sleepers;      /* of them in g_cond_wait on pool_wake */
static atomic_int pool_closing;     /* a caller sleeps on pool_left */

static void
job_run (Job *job,
         int  slot)
{
  int i;

  while ((i = atomic_fetch_add (&job->next, 1)) < job->n)
    job->fn (i, slot, job->data);
}

/* Microseconds a pool thread waits for the next job, and a caller for its
 * helpers, before sleeping: a forward's layers follow each other closely,
 * and a thread woken from sleep, on a virtual machine, takes a while to
 * come (a 64 px full-width forward on 2 threads after 30 ms of idle, three
 * alternating runs of bench-net: 13-14 ms with 200 us, 12-14 with 1000,
 * against ONNX Runtime 1.06-1.19 and 1.20-1.29 times; the tool's and the
 * plug-in's runs no slower). By the clock, not by turns: a pause takes from
 * a few cycles to over a hundred, depending on the CPU. */
#define POOL_SPIN_US 1000

static void
cpu_relax (void)
{
#if defined (__x86_64__) || defined (__i386__)
  __builtin_ia32_pause ();
#endif
}

/* Spins until done (data) says so or POOL_SPIN_US have passed; whether done. */
static gboolean
spin_until (gboolean (*done) (gconstpointer),
            gconstpointer data)
{
  gint64 end = g_get_monotonic_time () + POOL_SPIN_US;

  for (int turn = 1; !done (data); turn++)
    {
      cpu_relax ();
      if (turn % 64 == 0 && g_get_monotonic_time () >= end)
        return FALSE;
    }
  return TRUE;
}

static gboolean
lock_taken (gconstpointer data)
{
  (void) data;
  return g_mutex_trylock (&pool_lock);
}

static gboolean
posted_since (gconstpointer seen)
{
  return atomic_load (&pool_posted) != *(const unsigned long long *) seen;
}

static gboolean
helpers_gone (gconstpointer job)
{
  return atomic_load (&((const Job *) job)->helpers) == 0;
}

static void
pool_lock_take (void)
{
  if (!spin_until (lock_taken, NULL))
    g_mutex_lock (&pool_lock);
}

/* Where a helper runs. The scheduler may wake a helper on its caller's
 * CPU, as it does when the other cores ran something lately (another
 * process's threads): the two would then share that CPU through the job
 * while another stays idle, and a forward would run at one thread's speed
 * or worse. A helper that finds itself there moves off it, and takes its
 * freedom back before it next sleeps. */
typedef struct
{
#ifdef __linux__
  cpu_set_t allowed;   /* its affinity as it started */
#endif
  gboolean  known, narrowed;
} Placement;

static void
placement_init (Placement *place)
{
  place->narrowed = FALSE;
#ifdef __linux__
  place->known = sched_getaffinity (0, sizeof place->allowed, &place->allowed) == 0;
#else
  place->known = FALSE;
#endif
}

static int
current_cpu (void)
{
#ifdef __linux__
  return sched_getcpu ();
#else
  return -1;
#endif
}

static void
placement_leave (Placement *place,
                 int        cpu)
{
#ifdef __linux__
  cpu_set_t set;

  if (!place->known || cpu < 0 || current_cpu () != cpu || !CPU_ISSET (cpu, &place->allowed)
      || CPU_COUNT (&place->allowed) < 2)
    return;
  set = place->allowed;
  CPU_CLR (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) == 0)
    place->narrowed = TRUE;
#else
  (void) place;
  (void) cpu;
#endif
}

static void
placement_restore (Placement *place)
{
#ifdef __linux__
  if (place->narrowed && sched_setaffinity (0, sizeof place->allowed, &place->allowed) == 0)
    place->narrowed = FALSE;
#else
  (void) place;
#endif
}

static gpointer
pool_thread (gpointer data)
{
  unsigned long long seen = 0;
  Placement place;

  (void) data;
  placement_init (&place);
  pool_lock_take ();
  for (;;)
    {
      Job *job = pool_job;
      int slot;

      if (job == NULL || atomic_load (&pool_posted) == seen)
        {
          /* nothing to join; a job posted since and already closed is missed,
           * not waited for: the next one comes soon */
          seen = atomic_load (&pool_posted);
          g_mutex_unlock (&pool_lock);
          if (spin_until (posted_since, &seen))
            {
              pool_lock_take ();
              continue;
            }
          placement_restore (&place);
          g_mutex_lock (&pool_lock);
          while (atomic_load (&pool_posted) == seen)
            {
              pool_sleepers++;
              g_cond_wait (&pool_wake, &pool_lock);
              pool_sleepers--;
            }
          continue;
        }
      seen = atomic_load (&pool_posted);
      slot = atomic_fetch_add (&job->slots, 1);
      if (slot >= job->n_slots || atomic_load (&job->next) >= job->n)
        continue;
      atomic_fetch_add (&job->helpers, 1);
      g_mutex_unlock (&pool_lock);
      placement_leave (&place, job->caller_cpu);
      job_run (job, slot);
      /* job is the caller's, gone once the count is 0: not touched after */
      if (atomic_fetch_sub (&job->helpers, 1) == 1 && atomic_load (&pool_closing))
        {
          g_mutex_lock (&pool_lock);
          g_cond_broadcast (&pool_left);
        }
      else
        pool_lock_take ();
    }
  return NULL;
}

/* The whole job on the calling thread. */
static void
run_alone (const Job *job)
{
  for (int i = 0; i < job->n; i++)
    job->fn (i, 0, job->data);
}

void
hz_parallel_for (int            n,
                 int            n_threads,
                 HzParallelFunc fn,
                 gpointer       data)
{
  Job job = { fn, data, n, MIN (n_threads > 0 ? n_threads : hz_default_threads (), n), 0, 1, 0, -1 };
  gboolean wake;

  if (job.n_slots <= 1)
    {
      run_alone (&job);
      return;
    }
  pool_lock_take ();
  if (pool_job != NULL)   /* another thread's call has the pool */
    {
      g_mutex_unlock (&pool_lock);
      run_alone (&job);
      return;
    }
  while (pool_threads < job.n_slots - 1)
    {
      g_thread_unref (g_thread_new ("hz-pool", pool_thread, NULL));
      pool_threads++;
    }
  job.caller_cpu = current_cpu ();
  pool_job = &job;
  atomic_fetch_add (&pool_posted, 1);
  wake = pool_sleepers > 0;
  g_mutex_unlock (&pool_lock);
  if (wake)   /* (outside the lock: a sleeper counted has already sampled the condition) */
    g_cond_broadcast (&pool_wake);

  job_run (&job, 0);

  /* Every i is taken: wait for the helpers still at theirs, then close. The
   * count is read again under the lock, where a helper that joined
   * meanwhile has counted itself in; a helper that leaves while the caller
   * sleeps sees pool_closing. */
  spin_until (helpers_gone, &job);
  pool_lock_take ();
  if (atomic_load (&job.helpers) > 0)
    {
      atomic_store (&pool_closing, 1);
      while (atomic_load (&job.helpers) > 0)
        g_cond_wait (&pool_left, &pool_lock);
      atomic_store (&pool_closing, 0);
    }
  pool_job = NULL;
  g_mutex_unlock (&pool_lock);
}
