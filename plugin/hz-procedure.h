/* gimp-harmonize: the arguments of plug-in-harmonize, the contract with
 * scripts, batch mode and the dialog (see hz-gimp-scene.h for the choices):
 * foreground, mask-source, mask-channel, background-source,
 * background-layer, box-x, box-y, box-width, box-height, strength,
 * working-size. */
#ifndef HZ_PROCEDURE_H
#define HZ_PROCEDURE_H

#include <libgimp/gimp.h>

G_BEGIN_DECLS

void hz_procedure_add_arguments (GimpProcedure *procedure);

G_END_DECLS

#endif
