# Runs inside a real GIMP (python-fu-eval batch interpreter), driven by
# tests/ui/run-gimp-dialog-test.sh, which works the dialog from outside with
# xdotool. This side adds a layer to the image GIMP opened, calls the
# procedure interactively (so the dialog opens; the call returns once the
# user pressed OK), and reports what it sees through files in HZ_UI_DIR:
#   loaded   number of layers before the run
#   ran      "STATUS N NAME|NAME|..." after the run (layers top to bottom)
#   undone   number of layers once the new layer is gone (or 60 s passed)
#   error    what went wrong, if anything did
# Then it quits GIMP.
import os
import time
import traceback

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio

out = os.environ['HZ_UI_DIR']


def report(name, text):
    path = os.path.join(out, name)
    with open(path + '.tmp', 'w') as f:
        f.write('%s\n' % text)
    os.rename(path + '.tmp', path)


def run_pdb(name, **args):
    proc = Gimp.get_pdb().lookup_procedure(name)
    config = proc.create_config()
    for key, value in args.items():
        if isinstance(value, list):
            config.set_core_object_array(key, value)
        else:
            config.set_property(key, value)
    return proc.run(config)


def layer_names(image):
    return [layer.get_name() for layer in image.get_layers()]


try:
    # The background was opened from GIMP's command line, as a user opens a
    # file (with a display and undo); the sheep is added as a layer, and a
    # rectangle selected for the dialog's "From Selection".
    deadline = time.time() + 60
    while not Gimp.get_images() and time.time() < deadline:
        time.sleep(0.2)
    image = Gimp.get_images()[0]
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image,
                                 Gio.File.new_for_path(os.environ['HZ_UI_FOREGROUND']))
    layer.set_name('Sheep')
    image.insert_layer(layer, None, 0)
    image.set_selected_layers([layer])
    x, y, width, height = (int(v) for v in os.environ['HZ_UI_SELECTION'].split())
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, width, height)
    Gimp.displays_flush()
    before = len(image.get_layers())
    report('loaded', before)

    result = run_pdb('plug-in-harmonize', **{'run-mode': Gimp.RunMode.INTERACTIVE,
                                              'image': image, 'drawables': [layer]})
    status = result.index(0).value_nick
    report('ran', '%s %d %s' % (status, len(image.get_layers()), '|'.join(layer_names(image))))

    # The test presses Ctrl+Z in the image window now.
    deadline = time.time() + 60
    while len(image.get_layers()) > before and time.time() < deadline:
        time.sleep(0.2)
    report('undone', len(image.get_layers()))
except Exception:
    report('error', traceback.format_exc().replace('\n', ' | '))
finally:
    run_pdb('gimp-quit', force=True)
