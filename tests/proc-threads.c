/* The threads of this process (see proc-threads.h). */
#include "proc-threads.h"

#include <glib.h>

int
proc_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  int   n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}
