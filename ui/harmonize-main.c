/* gimp-harmonize: the GIMP 3 plug-in's executable: the procedure of
 * plugin/harmonize-plugin.h, with the dialog of hz-dialog.h. */

#include <libgimp/gimp.h>

#include "harmonize-plugin.h"
#include "hz-dialog.h"

typedef struct _Harmonize      Harmonize;
typedef struct _HarmonizeClass HarmonizeClass;

struct _Harmonize
{
  GimpPlugIn parent_instance;
};

struct _HarmonizeClass
{
  GimpPlugInClass parent_class;
};

#define HARMONIZE_TYPE (harmonize_get_type ())
GType harmonize_get_type (void) G_GNUC_CONST;

G_DEFINE_TYPE (Harmonize, harmonize, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (HARMONIZE_TYPE)


static GList *
harmonize_query_procedures (GimpPlugIn *plug_in G_GNUC_UNUSED)
{
  return g_list_append (NULL, g_strdup (HZ_PROCEDURE_NAME));
}

/* Translations live in the plug-in's folder, locale/ (GIMP's default). */
static gboolean
harmonize_set_i18n (GimpPlugIn   *plug_in        G_GNUC_UNUSED,
                    const gchar  *procedure_name G_GNUC_UNUSED,
                    gchar       **gettext_domain,
                    gchar       **catalog_dir    G_GNUC_UNUSED)
{
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  return TRUE;
}

static GimpProcedure *
harmonize_create_procedure (GimpPlugIn  *plug_in,
                            const gchar *name)
{
  if (g_strcmp0 (name, HZ_PROCEDURE_NAME) != 0)
    return NULL;
  return hz_harmonize_procedure_new (plug_in, hz_dialog_run);
}

static void
harmonize_class_init (HarmonizeClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = harmonize_query_procedures;
  plug_in_class->create_procedure = harmonize_create_procedure;
  plug_in_class->set_i18n         = harmonize_set_i18n;
}

static void
harmonize_init (Harmonize *harmonize G_GNUC_UNUSED)
{
}
