/* gimp-harmonize: the plug-in's dialog.
 *
 * A GimpProcedureDialog for the "plug-in-harmonize" procedure: foreground,
 * mask and background choosers, strength and working size, a background
 * thumbnail on which the user draws the reference box, and a live
 * before/after preview computed off the main loop.
 */
#ifndef HZ_DIALOG_H
#define HZ_DIALOG_H

#include <libgimp/gimp.h>

#include "hz-gimp-background.h"

G_BEGIN_DECLS

/* Shows the dialog editing @config (calls gimp_ui_init itself); TRUE when
 * the user pressed OK. The previews read their background from
 * @background, which the run after OK can share. */
gboolean hz_dialog_run (GimpProcedure       *procedure,
                        GimpProcedureConfig *config,
                        GimpImage           *image,
                        HzGimpBackground    *background);

G_END_DECLS

#endif
