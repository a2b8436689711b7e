/* The harmonize tool's output files: all made before any work, put in place
 * only when every one was written. */
#ifndef OUTPUTS_H
#define OUTPUTS_H

#include <glib.h>
#include <stdio.h>

typedef struct _Outputs Outputs;

/* Makes a temporary file beside each of the n paths, so that a missing
 * folder, a folder in the way or a lack of permission shows at once. Until
 * outputs_commit or outputs_free, SIGINT and SIGTERM remove them (and then
 * end the program as they would have). One set at a time. */
Outputs  *outputs_new    (const char * const  *paths,
                          guint                n,
                          GError             **error);
/* The stream of the i-th path's temporary file. */
FILE     *outputs_file   (Outputs             *outputs,
                          guint                i);
/* Closes every file; if all were written, renames each onto its path. */
gboolean  outputs_commit (Outputs             *outputs,
                          GError             **error);
/* Removes the temporary files that are left, and frees. */
void      outputs_free   (Outputs             *outputs);

#endif
