"""``oddseq.exceptions`` is reachable after ``import oddseq`` as the README and the warnings
name it (TR s63 L3): ``warnings.filterwarnings("error", category=oddseq.exceptions.DataWarning)``
in a notebook's first cell raised AttributeError. It loads on first use, as the other
subpackages do, in a fresh interpreter."""

import subprocess
import sys


def test_exceptions_is_an_attribute_of_the_package():
    code = (
        "import oddseq, warnings\n"
        "warnings.filterwarnings('error', category=oddseq.exceptions.DataWarning)\n"
        "assert issubclass(oddseq.exceptions.MissingValuesError, ValueError)\n"
        "print(oddseq.exceptions.DataWarning.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "DataWarning"
