/* gimp-harmonize: the arguments of plug-in-harmonize. */

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "harmonize.h"
#include "hz-gimp-scene.h"
#include "hz-procedure.h"

void
hz_procedure_add_arguments (GimpProcedure *procedure)
{
  gimp_procedure_add_layer_argument (procedure, "foreground",
                                     _("_Foreground"),
                                     _("The layer to harmonize (none: the selected layer)"),
                                     TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument (procedure, "mask-source",
                                      _("_Mask"),
                                      _("Which pixels of the foreground to harmonize"),
                                      gimp_choice_new_with_values
                                        ("auto",       HZ_MASK_AUTO,       _("Automatic"),
                                         _("The layer mask, else the alpha channel if the layer "
                                           "has transparency, else the selection if there is "
                                           "one, else the whole layer"),
                                         "layer-mask", HZ_MASK_LAYER_MASK, _("Layer mask"), NULL,
                                         "alpha",      HZ_MASK_ALPHA,      _("Alpha channel"), NULL,
                                         "selection",  HZ_MASK_SELECTION,  _("Selection"), NULL,
                                         "channel",    HZ_MASK_CHANNEL,    _("Channel"), NULL,
                                         NULL),
                                      "auto", G_PARAM_READWRITE);
  gimp_procedure_add_channel_argument (procedure, "mask-channel",
                                       _("Mask c_hannel"),
                                       _("The channel used as the mask when the mask is \"channel\""),
                                       TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument (procedure, "background-source",
                                      _("_Background"),
                                      _("What the foreground should match"),
                                      gimp_choice_new_with_values
                                        ("below", HZ_BACKGROUND_BELOW, _("Layers below"),
                                         _("The visible result of the layers below the foreground"),
                                         "layer", HZ_BACKGROUND_LAYER, _("A layer"), NULL,
                                         NULL),
                                      "below", G_PARAM_READWRITE);
  gimp_procedure_add_layer_argument (procedure, "background-layer",
                                     _("Background la_yer"),
                                     _("The background when the background is \"layer\""),
                                     TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "box-x", _("Box _X"),
                                   _("Left of the reference box, image coordinates"),
                                   -GIMP_MAX_IMAGE_SIZE, GIMP_MAX_IMAGE_SIZE, 0,
                                   G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "box-y", _("Box _Y"),
                                   _("Top of the reference box, image coordinates"),
                                   -GIMP_MAX_IMAGE_SIZE, GIMP_MAX_IMAGE_SIZE, 0,
                                   G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "box-width", _("Box _width"),
                                   _("Width of the reference box (0: the whole background)"),
                                   0, GIMP_MAX_IMAGE_SIZE, 0, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "box-height", _("Box h_eight"),
                                   _("Height of the reference box (0: the whole background)"),
                                   0, GIMP_MAX_IMAGE_SIZE, 0, G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "strength", _("S_trength"),
                                      _("0: the original colours, 1: fully harmonized"),
                                      0.0, 1.0, 1.0, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "working-size", _("Wor_king size"),
                                   _("Long side, in pixels, of the images the network sees "
                                     "(0: the size its weights were trained for)"),
                                   0, HZ_WORKING_SIZE_MAX, 0,
                                   G_PARAM_READWRITE);
}
