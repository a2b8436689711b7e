/* gimp-harmonize: the procedure plug-in-harmonize.
 *
 * One image procedure: fits the engine's colour mapping for a foreground
 * layer against its background and adds the harmonized foreground as a new
 * layer above it. The plug-in's executable (ui/harmonize-main.c) makes it
 * with its dialog, so that this side never depends on the dialog.
 */
#ifndef HARMONIZE_PLUGIN_H
#define HARMONIZE_PLUGIN_H

#include <libgimp/gimp.h>

#include "hz-gimp-background.h"

G_BEGIN_DECLS

#define HZ_PROCEDURE_NAME "plug-in-harmonize"

/* Shows the dialog editing @config for an interactive run; TRUE for OK.
 * Its previews read their background from @background, which the run
 * after OK shares. */
typedef gboolean (*HzDialogFunc) (GimpProcedure       *procedure,
                                  GimpProcedureConfig *config,
                                  GimpImage           *image,
                                  HzGimpBackground    *background);

GimpProcedure *hz_harmonize_procedure_new (GimpPlugIn   *plug_in,
                                           HzDialogFunc  dialog);

G_END_DECLS

#endif
