"""An independent red team's seventeenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, embedded_data names no data to the
instructor, the code runs as graded with the guards installed, and it earns check points without doing
what the check asks). This round's road: values harvested outside the notebook (a trained network, torch's
own optimizer paths, torch's schedule) carried into it as data in the code, in pieces under the sizes that
embedded_data names: 4 + 7 + 3 + 3 = 17 points over three assignments (mnist_classifier 4, optimizers 7,
training_recipes 6), 14 of them on checks that draw their inputs for each learner.

1. A pretrained MNISTNet carried in the notebook in pieces, each under the size that embedded_data names.
   docs/trust.md rests the MNIST accuracy check on two things: a graded function's code may use only what
   its part lists (so a network cannot read a file or the notebook's data), and "large data written into a
   learner's cell (a long string or bytes constant, a long literal list) is named to the instructor. Treat
   the accuracy check as evidence of a working network and training loop, given those two." The helper
   cell says it too: "no pretrained model". But embedded_data (student-kit/coursekit/own_work.py) looks at
   each constant node alone: a str or bytes constant of 4,096 characters or more, a list, tuple, set or
   dict written out with 1,000 items or more. Data cut into pieces just under those sizes is never named,
   however much there is: `P0 = b"..."` (4,000 bytes), `P1 = b"..."`, ..., joined with `+` (a BinOp of
   constants; adjacent literals would be joined by the parser into one constant, and named). MNISTNet
   here is the reference architecture (two Conv2d + MaxPool2d stages and a Linear layer, 18,378
   parameters), trained OUTSIDE the notebook (4 epochs of torch.optim.Adam with light affine augmentation,
   not by the learner's train_one_epoch), its weights quantized to 8 bits (one scale per tensor), written
   into the cell as five bytes constants of at most 4,000 bytes. Its __init__ builds the layers and loads
   them: `list(P0 + P1 + ...)` (@python), `torch.tensor`, `.reshape`, `.numel`, `.data =` (@tensor),
   `self.features[0].weight` (@layers): the rule accepts it, tamper names nothing, embedded_data names
   nothing, and the layers still compute what nn.Conv2d, nn.MaxPool2d and nn.Linear do (test_mnist_net_*
   pass as they would for an honest net). train_one_epoch does not train at all (it returns 0.0).
   WIN: test_mnist_accuracy (4 points), "your MNISTNet, trained by your train_one_epoch for 2 epochs,
   reaches 98.5%", with a train_one_epoch that never steps the optimizer: the check is evidence of nothing
   the learner's loop did. Confirmed through the judge harness (_refused: static rule and tamper silent,
   the real check run with the guards installed; the fake kernel's test set is the plain one, bar 98.5%:
   the quantized net gives 99.26%). On views warped exactly as grader/heldout.py warps them for a learner
   (seeds 0, 1, 2), it gives 98.92%, 98.79%, 98.94%, against GRADED_ACCURACY = 95% (measured outside the
   judge with grader.heldout.warp; reasoned, not run, for a real `./course grade`). The same weights as
   one constant are named (the control test below), so the instructor hears of them only when the learner
   does not cut them up. A learner who brings the test set's labels (10,000 bytes: three pieces) for a
   lookup is in the same place, as far as naming goes.
   Also not named, though it crashes the learner's own grading rather than winning: one hexadecimal int
   constant (`W = 0x...`, 36,756 bytes as 73,512 digits) is neither a str, bytes nor a list, so
   embedded_data passes it; reached by a graded name, ast.unparse then raises (int to decimal string limit).

1b. The same weights with no constant at all, so that no size check of constants can see them: a def's
   name is any number of letters (`def wabc...():` with 36,757 letters, two a byte), and `.__name__` is a
   harmless dunder; MNISTNet's __init__ decodes it with a local alphabet's `.index` (@python). (A method
   of a global, `DIGITS.index(c)`, counts as changing DIGITS and pulls the notebook's scratch cells into
   MNISTNet's code: refused, which is why the alphabet is a local.)
   WIN: test_mnist_accuracy (4 points), the same as 1 (the same points, not more). Confirmed through the
   judge harness. Carried data can be in any name, docstring-free: a fix that sums the constants' sizes
   would not see this one.

2. Stub optimizers that replay torch's own paths from a table harvested OUTSIDE the notebook. Round sixteen's
   stub MySGD read torch's SGD paths over a grid of starting points that train recorded in the kernel; what
   closed it (docs/trust.md) is that torch's optimizer in a check's run steps the model's parameters only as
   made, and that test_my_sgd_basic draws its momentum for each learner. Neither touches the same grid made
   on the learner's own machine: every compare_with_torch check runs the optimizer on the checks' toy_loss,
   whose gradient for parameter i is a fixed function of that element alone, so with the settings fixed the
   parameter after step k is a fixed function p_k(p0) of its starting value, elementwise, whatever the seed
   the grader draws. The learner runs torch.optim.X once on a parameter holding a grid of 12,001 starting
   values over [-6, 6] (every element a lane: the updates are elementwise), for each setting a visible check
   uses (and each parameter index, and, for a parameter that gets a gradient every other step, its own count
   of steps), and writes the float64 paths into the cell as bytes constants of 4,000 bytes (`P0 = b"..."`,
   ..., joined by `b"".join([...])` over lists of fewer than 1,000 names: so embedded_data names nothing).
   The class keeps its parameters' starting values, and at each step() puts each parameter at the table's
   value for its setting and step, by cubic interpolation in p0 (`torch.tensor(list(...), dtype=torch.uint8)
   .view(torch.float64)`, `.floor`, indexing: @python and @tensor; no torch.optim, no update rule; no
   _foreach_/_fused_ op, no optimizer held). The drawn momentum of test_my_sgd_basic is round(0.85 + 0.1u, 3):
   101 values, a lane each (SGD's paths are smooth, so 1,201 grid points do).
   WINS, each confirmed through the judge harness (_refused: static rule, tamper and embedded_data silent,
   the real check run with the guards), and for 10 judge seeds each (1 to 10: 10 of 10 passed, each seed
   drawing other starting values and, for SGD, another momentum):
   - optimizers: test_my_adam_basic (3 points), table 2.3 MB (5 lanes, 24 steps);
   - optimizers: test_my_rmsprop_basic (2 points), 1.4 MB;
   - optimizers: test_my_sgd_basic (2 points), 4.9 MB (102 lanes of 5 steps, 1,201 points; the cell's source
     is 14 MB, under the 100 MB a handed-in file may have);
   - training_recipes: test_my_adamw_basic (3 points), 2.3 MB.
   Where interpolation misses (an element within a grid cell of the point where Adam's first step flips
   sign): measured outside the judge over 100,000 random starting values per lane, at most 0.8% of elements
   per lane (AdamW), 0.5% (Adam), 0.16% (RMSprop), none for SGD; so a few learners in a hundred would lose
   the check. The hidden checks (up to 200 steps, four shapes, float32) would need tables of tens to
   hundreds of MB: not attempted.
   Even cut into one constant, so that embedded_data names it, the table earns the points: naming is a line
   for the instructor, not a refusal.

3. one_cycle_lr as a lookup of torch's OneCycleLR values. The visible checks of one_cycle_lr use fixed,
   printed settings (100 steps at 0.1, 10 at 1.0; 40 at 0.01 with pct_start 0.25, div 10, final 100; 7 at 3.0
   with pct_start 0.5): a learner runs torch's OneCycleLR for those four settings on their own machine and
   writes the 157 learning rates into a dict keyed by the settings (@python: a literal dict, .get). No
   schedule is written.
   WIN: test_one_cycle_lr_basic (2 points) and test_one_cycle_lr_settings (1 point); the hidden check (random
   settings) fails. Confirmed through the judge harness (static rule, tamper and embedded_data silent).

Refused, or no win (tried this round):
- A hexadecimal int constant as the data (attack 1's aside): not named, but ast.unparse of it raises when
  graded, and the learner's grading fails as a whole (graded as the blank copy): no points.
- train (@training) keeping torch's optimizer (held by RecordedOptimizer) for a narrower part: every method
  and forwarded attribute checks _open() and the probe is closed when the run returns; the only attributes a
  torch optimizer shares with the vocabularies are .step and .zero_grad (computed from dir(SGD) and the
  vocabularies); same_parameters stops a batch of lanes in the model's (1, 1) weight.
- mnist_predictions hands train_one_epoch a raw, never-closed torch.optim.Adam and nn.CrossEntropyLoss: no
  narrower part of mnist_classifier needs an optimizer or a loss, so nothing there to carry them to.
- The loss checks: each draws random inputs from the learner's seed after (at most) one fixed example, and
  a loss's value depends on whole tensors: no table of torch's values can cover them.
- `DIGITS.index(c)` on a global alphabet in MNISTNet (1b's first draft): a method call on a global counts as
  changing it, which makes MNISTNet "called" and pulls in the reference notebook's scratch cells: refused.
- Adjacent string literals, or one list of 1,000 names or more, to join the pieces: the parser makes one
  constant of adjacent literals, and the list is named (what the `+` and the lists of 500 names avoid).
"""
import base64

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, O, R, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from kit.attacks import one_cycle_packed, one_cycle_values


# MNISTNet's weights as trained outside the notebook (the reference architecture; 4 epochs of Adam with
# affine augmentation), each quantized to 8 bits: base64 of the codes + 127, in the order of SCALES' tensors
WEIGHTS = (
    "k1pedyywm8CfiZGx1qGnSoOQ07keChcZUqDCqBuHstuiCROJ3WhiM+J5p2FCtmiRa3IhTKCG25yJgN6oXcze5DGPn44rAppTVSxc"
    "pZ6aRqNJAGWLuTEe5K6rWmznuyZbxctaGdF8poUoRsyGjVqMusAtW6+7t0U2YpnbaZ5IDFaisjmQ1bqYurmYTUZsYz2JnnyTj6m4"
    "QaRWWSokEA1UIVB2XX4/s36EZnqUxsLJ8Kuzso61aGYwLBm8JAE2VZV9g6LVWN3z7FiBQcaBpGpMZp+4k4Qhqd7CqR5D1TumJDGt"
    "R4HQ1OZ7WNiIhJpRqbVlL0xueFxdByJXo91scId+bK6pd3u5tlPGn16mSMJiqZqLwn47O7COiiZY2bNuFBzhkIhAMLW2jxggbXB+"
    "nVpqgaR0GXyT4VdML4DSG0uivrtEaYCLyFtSgkRZbHqbQXFITUp9ck5KP61cZV9SKy7DspCAttD0ycKSWF2/f61MCiVmawhcTUeI"
    "fDiOc2mBN40rC8mgeUc4lcafccdxurHewkmGP0M7AFJdnlo1hYM+j6pHc4SSeGZecH+ZOy9YY3ZOVHRxUYGHo5RgnWZ1bneSeWVW"
    "c42HfIGAcYGUf4BrrItyfntrcXd7aoeRmZlmjaKPhnCZlIhyg5+DhI6CoHBia4aGkKh1eKmqmn2ho6CVip18mpVqcF1kd2ttdWJi"
    "bXZ5bmp2dI1+c2aKiml/f2NocYORVX1wgodmdmuJjnlxgH1+enVig4htaX2JlmyHjod4gn14Y2aTZHV1TmB8gIlvhX2Hk6lvi6Sf"
    "gniUmW5QlHKAlHF3hJZ8g3yEmISDaXiBlp50dm+co3h9eHaNgX13doJ5nqeqeEKGd4ZvaF92hn5di4yBXpGBfox4fFthbIVvW25z"
    "iGdmfGaJgmNkbGR7aWVad3J4gIdXhXyGi1aBh41xbZWjmHmAhaCOh4FwfYFzfYCAe45+i4OFfJSgi3GNnJJzhX10f5yYcYSeon5x"
    "iJaDZHaTlIR1eX18gmuDlGqKmKB1ZEp5l5FkT1t/i11SfHRuaW2ZjmluaXeRjHd6gXB/goaCX2SCgmVqZXSGdmx4cnZ6fY6JZW9u"
    "b4STfG54mqOVmnKkhJ2yp2pzhoRecoVyeFOHgYBqeop2c2uOj2x2b4Z6foiLaHV1gHl0ZnFob4p+g4SRgJOVgIiRjZuckpRthY14"
    "kHdrV4eSgYNXdG6Kl6GEj4d8c3Fvhm6DblmSkY2Ee4iFknyJiXJzfHCFh4iJdn2FcHmIgIeTZHWNhX2GkmBgXo6Ul3V/bHOReW11"
    "coFudYt+aGR/foxLamBpeZaNg42Sg3J2iH97dY2Zh4x3hIGnf4SDd3qCc312dYJ9Z313nIpwgX+OpY2Ne2yIeo5wdX6Tl6NqbXOH"
    "hmCBa3d/gH18iIGQgZJ3bnRkXmx8j3BvXmKHmH5+hJOZlJOCcmpviYSAlJSzp2GElYeKgHeNX4R2hoBjVWJfalZvbHp/fYd5gHBq"
    "eGlyRWh9eVpjTmVsdl9iO5WQeoCGZmaCeHV1b4J4bYZvbG9whopugp9Wdm16kW1vW3SCjIxgW2qcoaGMg6GmsaeijXRpc3OXhHqB"
    "fKSbm4luhoqKip9jVmd2gW1ne1xhX2p5eF5+fH2EjpqbhZh1houWjYdmcldqYX5+bX2Aeo6DmIN0h56Rg3h9h498d3RdY2BteIBj"
    "ZGt3iWp3g4x/dniPh3NyhmFwgGZ1VYWQYmdme4NmbW+AaXN9d4p7fIl2b2pjXHp3jX18cXmLf3iIgpt6joKHfHx7g2RrW1x5e4Fv"
    "fnyCeX9+eZF8foOJa29/fKSmnoWDmpGKjJKxlYF/iJVwdHd6WGFhV191g4tefoF+bnh2eHJrc2tmT12DhWVDTFtaYnVtV3hdfXJ1"
    "iHqKgpWPg5OGloOhgJF/lWpjUlZyWWJmXXp0f3hifJF0eWN3iJiUcHpya2ldXYCNfINjioF6gnaXnnqAgHl8eIWHgHuNg4FybIp0"
    "fW50enZ4eIyLenWHgZCajHaKblZ6dHV0YYl8i4RshoR2Z3mLhHp5jZ2Vfnt5jntwh4JuhWx2aHR1fHdsZnyHhWlwWVBoVlVOZVlr"
    "g312i5KOkZiEi5OTh5qej4OAem5ul4yYeHeMh5aMeoyVgIKZXmdpf4h/oKSknYORm7asmY2GlIeBjpaDlVuAcJWAhYB5bWlxbnBc"
    "XnyCdW5wf3iHenF1fISCcnl3bnJteltoaXiDjmprcG97i3SNTWKGgH1YX09mcFNTVHleZYNfW258lI6JaHuSlYuEiX13gIh8gVpl"
    "e3FxfGBzfXCCiH1mXIN3gGNldmBreYB3hHZoiIKFdFR2a42YXHaLcm18hW11f52ZnoCCl5Omp6NdSXSeoXZkZWKEiImKZnGjlZV6"
    "iIh1j3uWWF1re3hvZUqPh2WEnoxtdWKDiWl3jIp6cH6Hm4KGg4yDfIJmfouNlFxpd6OqXot8Y3ePh4eBjYiAf5mVfGl6a3JxZm1m"
    "foh7h3GGd2p8eIdOYGp9gFRpjpmUYWRYlop+l4lmc3usnK58kKinmYdLUH6DalFhW2peaY1zfVeFipSNcZeUh35jfIOPfoaDdZGB"
    "eIZnaWSMhZaPgoGSg3eHhniaqZ2CeIiZnpSKjIF8ZIyKf396eIiWnI6Ihmdnf4OLfnN6fI2dj6JRbHmPnlpnXXV6dmBPP21lWnJo"
    "WlpcUmFxd29ed4Bve3htdnaHe2heeZOBaHOhp31sY5ylhmNokIWEZIKEfFpZi4JvcVJ9mohgX2qLdGtxkX1qcHd4cVJJepeoiF1t"
    "kq+Sd3iEs4l0gIOLh2WAg5GPglh7kKCFW3COjnNRYoGOeG+HhHaGb32UfFRajIh5Y3GAgHBmhIyRhnp1fJZ8cH+QgaSIcHtyhWmA"
    "g1dvdpR2V2h4gnlQU2SHjHdfVVFSi3Z5Z2dje4l/Y16CoYJ3haidioyRhmeXf4hzdIF3mWtvbZSHaYl+l45teHiJkXFRe4uWekhj"
    "lZ2RV2WEl4Bfc317eHyLkYqDamN3e4Z9bWZ6jW9cd3dxdmuFbn6GdX58bIOYk4qJfoSPpadrjZGpnXmHe6WLdI2EgV9qpI2jdn2M"
    "f6d+g5Z4no2JhpKhf4WDgXVxi5VoXGOJgXhJVYyUclpZiIFmboF/cFt9eWJQcXZ8WVdnfX1wVWRrZWBtY3xYYnSQc3h2bGJ+f2Vn"
    "e3uIfnh4aoF9apmJe4iWjXR6amVdjHx1NU1vNDldj1lVVnp5KEpeb2Z8ma+uj4OXqoBsbIZqX4xuZU92dklZkpSBh6aulmOWwZld"
    "bpp4X4SBi0OagIVgbYSDbMK5rHyhzqRTfX+KaJh9bjqEhnFrenx8UWKBk6udc3qKf2JuZ2I7cIBVSWuRdURng3iNfIFyclKIioVW"
    "h21igI2gZW6Nl554jod/foqBaHSGe1R0kZOHnIqmnJaVdqOCd11qa1RdgWVrlVB/pKWfaJ6okIpvlHZkg3JLRVVrhnpycFyCe2JT"
    "ZVlNc2eARmiKg25TiZGHdniJmJNst7GJQ1amhkV/k1kZgqWUM1eHlnZ+lIdtdn9qWWhib0lZgoRVa2OIf15tjoOInrGdjJjHq3eB"
    "iIlzcpuUb26bnJNoiHmKdcG6g3qAw4KHfId8c46LjnORmHqCjpt0fISQenl3gIJqeYuBfXh6dm+CgIlwenSCa4NqY4COk395ipVb"
    "T3l8YUt4fE9ef39ISX99c2dXTTpQbDNCXI9ZWVyEhmByh4SITlZxhHV9goKVmJWwmJ+Jnaiql3p9aHBwUXxdbmNlknNpbml1hGt+"
    "bnhlb3qIiIGBjYSHa3lwgHl8l46afHtvfqCKeouanmJpfY2IXWyLeHCPiWt/gHZYamp4eIKKhnxthpeDnXqEe5RygICEdGeMjnKK"
    "iYN3iIZ6c2xseH57jn95dJCclIp+hJB6godqe3l3bHBtbH9rYWRuiHB8eYCUknCKhIOBXFRRY2Z6jYSEhZunrJqSgZOcjoyNramK"
    "hmdie4aWcYqLoI5qd4yIeoBwdHVqiIaRiouFjIaGdY2FaGhLimJzWjyKfYp+hIGLiISYhoOCp6eIlJd3c4hoc1pKiH9wc39+jnFy"
    "g4CHhHx5hWhpd12Fh3pmYYt3gnpvhmpghWptipKNgZqFiYVmjZJ9jHJyXm9wY3VTaHZPZ2Rkf19raICBZo1ui4VxdYmPeH1zamdf"
    "iIeLhX2aioiDhZJwgXSAlol9eISMlZqNfZuOrq2nhnh7fI91eG9UaFGZkoJ9j4WloI56g4N1cG6NjmJ9ZYiDe3l3UFx2YmVfSmd4"
    "Xl0zaW9KfkgoQj+Rd2gtTINbdGpXc25+cVaXem1de6KSiHtumJeSloJRW4h0eURxY2xkZG9Zd19kTFliX3VubGVAOnSHfn8uQlRv"
    "WToBSGFdPABKV1tWMSpkXGR0fHB1gHCMcGGQjGyAZJihkWBklqCNgGZWd3JtbXd7f3BVdGVsZltwcWFgTmdecV5Qm7SZlXG1mJCZ"
    "hZyeg5KVpa+Of2mAi492f5RpeHFIh1lccSyTX3U+KaGJhX9XmIp0WkZphXl9jINqY211Z1xmUohUTmFQenlnUVp9X4OXm6NMinZp"
    "dk6MiHRbZUp4d1l9ZHRcVWxdiHV2iX+HZnmeh42JW52KmGNpnKKEaEWNrJuEkZmem5iMi4+RjouYeJ2Wi6CQgZubj6WRi3eUn4Zx"
    "cY2CgYR6anB7e4V9XHlrdsmomYeSra2OpbCmp46kq6amlZagoI2XlLdaVGZ/gUhbYmxpTEJlWV5tODkqaH5MZjVfh2SAWlWMf3Rk"
    "TY92WjBAlKF6aUSHoIxRRnNqgoKHcHWCcId6fH+DfXGIc311coZ8fHNshW6FcIZ6b4mRcnB1epBvgoiBf4d0fW6Aan9uanOFgW2K"
    "dXJrc5RvhXV0fH+BfoJ0eX13hoeIiGp4j4R7f4eHdHiCiHaEjH+Ggmtwf3N0dWx4fHd6b4eIfXp2cWt5h3aGgYRzhHVvf3KBfmt9"
    "fHp9eYF3gnSBiIiFiHB1bnKCiGuEdIeEcIRydHKBinRwfIGBan9rd3lrg258cYF/gYNydId9cnF2dHSJcYqGcYF2e29vfoB1d39q"
    "emp0iHRya4mBbnaHa3tubnaAanFtdnKCendsempsgGp6fXmEdoVxbm+Ce3d4c314eHJvfHtsk4CEf3aLgYB1cnmGcXNybIB3e4l8"
    "hnx4g394enJ4hIeIbnmAhHFtf3CJb4F1bWqBdXCJg4RzeH14gnZ2eHNveHR1c4F3hn50iXRshHGEhXRzf4GGfnuHfWx1eH9qanF7"
    "hGyAeodwdX9qhHN+cId/fXJue255h351dIBtbXmPfHdzhHJ3gXOJcXRoVmBYOm1kXGFKb2tSSGhzbV5SZXyWl4ibc4qQrnWGeZSd"
    "UqaRnXWGlH2YaaCMkYh7lmqDimtgmZSIdJKLjoFolIBngZKbfoSFjIJ9lrN2jI+PqZu2iZqXm6WFiG6VmpRzeIt4cXeTk1iGh5SH"
    "X5SAf29+lXqHd5CVkI6BiW6Fg19ZgH10V3uPfHpxfIiLa5GBfYWIlZJvX2hWeohwaXCIcUVQcJJcZoOAgFNqZHmKeIVlc557dnyd"
    "gHxxeYd8lIqZnJFuloOlooGSZlhld4NYZ3VufmuCcGyIfHaFfpqMe411aYRRSIJ9kUNzZW9vRopbd2x8fnWBbH58fnmFdHCOe2Nj"
    "WYhwcIBwh5F2c4iUi4GQjGt0lH+RdIabY45ag49tjmKEf2iJg4qPWGWIlqZvlnaPjJKbbqBnhoyEgHR5jnt+bmyDbVNfcXBTUkVq"
    "YVJnXl5VU19aYkxUPCxFVGVVZVlRXnVwbWt7dlVVYW1uSF90cohzfotyfItnX3OCgHF0cX10f3d7mpeGi4Cjm6SmhnBqcmimrIaH"
    "cWJuhpR/cH6cn4qQqZ+blneFj3J/bHxfbnFRXmV5g1pZamx+gXFwXnWEgWyHmnJhaW+FbVpvWVh4enRVYHmEhn2BiYxvhZBdW25V"
    "fVVjX0dNj5R2NkmUlHJhYn5zZn1qY19pZ2dYW3CEemhzb3WCdId+aoKKj3NrjGJ4gXF5YX+GgXKPfoSEhImUlW+KW2p8Y2N9inVx"
    "Z6CWkouly7GcsNSIc4CEom90h3puaIOKZl5ti4yCcKarp5molZePfXp/h2x3iGRqgGxyaXSFgFuBgYt6e5GZlZ2TeYiGeHmZg2dn"
    "h3iIinR2Y3aHe1qNfHl4f316anJ5cWVdYWdqY11lcXFmaXRxio2Ej4t7gYx+loF/iYmJb311eHVsgHpmTnyCdGNleICJd45xfm1p"
    "WXh8dExTk395dG+Tcl9wZnpyj4KWdoqFmpmWgIyKkXxuU252aFhUa3yDgH13iJmXim11f5KBdGZWdZiKZ3yDkp2LgXdecmBmeWJw"
    "bIGDdXOBj52hoqCHjZeOk4ZfYHKThnRabZCAnpSAinmXqpWLTFFplqOTjZF2d4eFk36Jh3eZjIJeYHuHe3VjeHpofY6WgYx0aoeU"
    "pmhohIydfnZtcI6AbH9tc4yDep+eeYSJmKaihXRcn7CPclt+nJybhVekmZGAgKSYkI99cn+ZkXNaa3iMg2ZfaHF8mpSEfIN9jHt6"
    "jXR5knqBamdsd4txgnZncktBY3R0SzdUVnFZJE1sbn09G12TiGg+QF5hZYCLimtmnJmQe2CQlqKTYUSXsoaVY2aBnpCKiZCRknyb"
    "coK1iYtxd6Svh3NWgJqHenJXVWuHhH9mkKWEiJmDkpSMh5uFdXB/eGmSloJ2g5aPd4SIb3mHf4FzfHl7fWNqaoiNhoN1VFCMhHph"
    "XZh6imtdj2akkE2BYIl6ZIF9Y2Nvf3pmW4GVfHNGaoV1lTUseH6edD1rdn1HQn56X2IydnlfUl1+jGuCfIaRfouKd2ZmbYGRh1F7"
    "moOQdHOFeJqZjoJOapCXmHeNkY6QWnmDgIpzb5udfF5neJeffGxydHZmaXaEbnp/eXiEaIWGhoR3bG5rbmmDf3J4eHeDf2yGcXGI"
    "bnR5aoOFa3V7gn9+hnV5b25zanV/bWuGcGxzcWl2cXN/eYZphoBzg4h8foGCf3B7cX+EbIZ9f2iGfXdue359hGpshoR2gYOCcHJw"
    "dIh3a4R/f3CEa4F+cmp6cnGBb4eIhHpsdHB2aXF2eHR7cG5th4Fqa3dwfnJ7dWx2hoRue4Z5dYZ4dYd/bYSFhXCAgoJqhoF8cnaC"
    "e4R0cnZ/fYFvdn59g4OBgYFqc4NxeXJ3dXN7h3l0hXF8eX2BfHd/e3V7cXlug4d0aYlwgoNyeXGGbXpvhYCGcX5rgHJ9gG6AcX5z"
    "eXmFfXt2aHFzfniAcGh+gYCHaHyEcIJ/eml/h3Z+hG1qfndwaW58dWp4eWmBh4Rqbm2FcYRyf4Nwf4B9cWx8anR6hIdrcXZ4dW1z"
    "c259a2l5cIV0bYZ6hoiGhIBtcnZ3hHxoe3h/cYVthIZrbYNrd2+Ah4SFgGp9h4Buf3xvam9sc3pwdHOAbIuIhoV3qM2eXXmUll9f"
    "d3NNVICPRmqBlHp/rpqddXyAZ39ucF6BmIBiWpWJiViKmnl8lKOYcXB9cl1ig3hrepl+ap6VooOgnZN9c5+ea2BRlXR4domGfbOL"
    "hX+9uHR4rKeMXVugZVZRU3J0bZCAdnOCiIZfc5OTh2KijmiEnKRpZnNjd4SIdH6Vi3dqfJWThlyNiJV2YJ+UcnxZmZx4doiPgmFY"
    "TYhfOkp7WzczZIJMLXaVjqCYa2xvj519ZHmllF98cp01maWUWa3HiHSBooZ9lYuGjIh5f3xzeoJ6fHNrf4qHgIx5epCCXYGriF94"
    "fnJfboaXboV5d4uNfHONfm58coJ8coSHiot8iXqJcpGTf2dnenV1dGSMdHlwe21cgEt9UmxjV2x/W3mSc450a3aBaIKDhItve4qD"
    "b32GjnVrhW9haFp6ZmxfUndpYmZ5YFxffXZmSEWIhG9NSo2FaW6Qon+Qkp5eXJ+beW90eWhhbZJTbWqJc22KkXtvh5GRk4x8kXts"
    "ZYd4eHZnc4iLcXd/ioKDiXl5hJmMeJ6Xk5xYloJ/iE9XfG1xhoqgip9cbYuTh1uBhnCJinlva2WIenuJi4uIiIKAbIR+i32Cf4l3"
    "ZJGGeXNsd3lxhZZehomTo3qIjoSWmYhse3adeWp1jHl6kICndZJ9lYNbc4F0gWl/gm9pinKCbHORjnh1e5eEeH+YY4aWhoN6jmt9"
    "coWJiIhmmHiHfHaKiYWCrIeJd29Bkph+bX1uZmZ7fXl0hYSNdXZ6cX+DeX9/gpiFjpeNhI93i5eHr4mcnKKPl4yXbIp9kXxqi5J+"
    "d3aHkYuJfoKNiIiFmoqloXGBiZ2jZZCFmpN3dHeIdHhihmBxdH+LkJ9cc3Noe3R4d3JjfHRvf3WEjpCDhJKZkJWHc5CnrZiEkIyM"
    "iZaCd3V4iYiEXl+GcFxmW3qBkX1veHyCel2QbmRqcpGBbHR7iHRpWFKJeIVhc5FlY3WBgnVpbW9tYE5FQFdEQz5VZV11f4CBc4mI"
    "iG51k3t0bGZ9bX1ccI6Pi3xkemR4h455eoF8a4yahZubn5+mqqKwj59yY3d4aaNZT15ZbHNAGzhTcH0vQHR7fW1rfGROVHatnnBa"
    "eZavpYOIn5WpnIGZnJ+ijGRveXprXH54Y2t7Z1Rub5BuYnt8sJ+ViH5iZIB6aXmCnZF8mYuRkqScr3yXpoeloIJ6gmhIVnCMlGhm"
    "b5qak3pspKminoabkpqmjmpqYnN9dWlhZXGLf3twa5WBdXOUrKWDf5mRjJp9nHh2jYR7PWZ+h4BCPDd8f2swPG15o6tie49aoZ9u"
    "Zj5zmXaAYURwmZ+ofH+IqWZuXHGDf4Z8hoKti5J4c6axfHOSd5KShIowW5OCeWE6hpWOfWpVcGh8dVljd2tZaXBXjmdQY2KheXFX"
    "coeMfmtbhI+peHaIoo+ekk1feJCJf3Z6mY2HvaWakl2/sZZ8MmyTjI80WmaHdIxaVX2Irq50d5WtxHZrl5GWmnqHjZOciZV0dpGC"
    "emxSgoaPdmR1a3BvYYCBbVJblYZ6m1FffXGNdCk3UXB0UyJJe310XE2eh1dSZJiofl5ldp6ojm9reJeWioeFhpKojomdkJp4ioOW"
    "e5aqi2RuqK2AVWKKg3twdFqCd3eegW1mZYiGWE1LnVlVYXeDRlB9hZNlfnhkZGZdWFx0TmhjeYV5h4qQlHiZt5+ghop5eXt5eoNo"
    "blFPaGScelhmiKKYtZSGl1tlgH2SeWVseJp9hFh5oHl2coWeaoJ9mIhgiYWKiYpoboyHZXNymJVtgXuUjol7l5unkIFge4WBfIZ5"
    "bHR2iIVUh6ikrkSukplnGYZ0c4WTjnt8alhzhHVlVniZjHlUkZiIZFZ3lomOj3aBdJ61fHh9mcBxa2eAond7cJOEfJeYpKWCi4uS"
    "f4BekGR/mId3X3yOe2Zkg257eouScWyAgqWQkZCJmoh6lZuRgXycjX5+kp+Tf393d3B9lmRMPXiHWkE2bXVQTFl6hY6EnYx+e3qZ"
    "omJLXIKid1l7cbyFiYeDpHBveWVPcWRqYEqGhnRfNn5dQUc2VURNQFZ3fIaQk3l7hJSUkHVlhHKQooeCdHaVg5WCg3J9epmel3Z1"
    "kpKIi314gZd+gnt9imqCXItaMxgcXVM1HTZ9UjEvUkU+R2+BMzZnmpuWeWleZJaEWHGfkbZYkqqNnYmhl36Su7KYZV8+bYBbQ2uB"
    "n241eYOUfHGFiol+fpZ+enpWSnKVjUR/qp5nZ561oWl7ipNmmJuSZ0eUYllwYnhwYHuGeWNwg5SPb32ZiHmGhpGTME9lbX1cW316"
    "iUt0cn6IcnqLmYWEgZWGYXp4jKSjg4OcmYSDf5RoXYmFdEg6hXM2O1yeVGWMjplSZ3d9b2l0YHqEklE7ho1dGGCDUF10X1FbcpRp"
    "bm+BknNvY4R9hphrfZmdjWJHPjg7Xk1uSmJxV3SEZG1NfnyHbFl0hLl1U1Rna2tAd4uMY25tk4xmin+YdoyIfJF4jpCFhnGJfpaQ"
    "b5p4gp6Yin90nsdzh329wH11d4+KZnCNr4t5g5WlhZKbqJNQk5WjlDibkI6Vnn2Wh3RieZJtXWh/e2tvgniJinB+YE00RS9gSE49"
    "QGdoYFgybHVdXWpGdml1gXBUfYOaZllhgYxiZX57iHhnbXl5fGJyfoTP1bJeS5ixqZBcYWqHg2qMcmJpiXuBeWeBe3h0aW5cc3mF"
    "fXdif4Z9inV8i4htgol/mX1nbmFVkHNeTlqLmIthYZebiYxrdpSlpoB/W11abKCHUDtLmKipgWF8pKmuqXaUn7uwgIOBYnByb32L"
    "hnF4j4ORh3x0jZmFjYuFjIKZi3pVf4d6iX+Ph350gIyhfW2Cj32DnIKXoJmSi3NyZYOcbVlDS25ScUMsSXhsa1RotKSpnXmRgnh3"
    "gKh7TEhrj5xsVT2Wj5yJZn5uYH1eiY2VeHVtjquVmoOLequopol4fqx8hXhokox5WlxTd29uZ2GLgWVwe4mAe3GDdW5oXVaLjJOD"
    "fI6HkI2eeoB0c5iJhXtlbGBkW2eVYkdXV3FyRGd3i4NpY3+HioBxaY1YTU1Sc2VoUkFSaHJ6ZFxqcYWMlm9mcoy1dVp2kpZfT1+N"
    "ilFVZnp5WFVpb4tgTGZyi6WLf3ZqusyvgT9vmJ2KbIltcIR+hIaEco6npq+ia32Qo6mpjHRoeZCHe3JoZ5J3dnNmo5SahHNuh5CB"
    "mlxXgXOHlGN+hHVqVVV8eHuQjplshG1+g4eCa4+fjIp6k6l4jX2Ij4x0Y19bYZl+d3l5hXVnanyOa2doal9lWWBSc0hQX0mPglxm"
    "TnqId4p4WId1cVh0h4Wabn+MmZVwh4GDloCBgoiheX5ocpKSZWZwi4eNiXpla3xvkXtlgGqMdm5man5oYVRkd3Ngi35yf3OaYFdj"
    "gXFkbYuiUE5LVHZTTkpcZFeInGyKkV5UaomSdXCNmG08D2WTZ041WYaMkn2DcHSbmoh0cpKqb2lxiKaaeFxxnJeFd3F9amFvgpFx"
    "cGx3hoqHaXeWmX+BYI6Wb5B8f3xjlYiVdWp/dnaHfmple4Nwa2J3boJvi4V9Xm9sboN3ZHGNmXZtd6bFnoOalsSggpKBaV98joBq"
    "V2SFfXFpdpOoolFyiqPBXX51bXiQgHZPaJGNoYFQeXmafWZwgaqQeId2hX9UTYyekpVse4SVk3qIb31ygZlseXR5kpKghod1b3uN"
    "jYBZhIh+TEdmgoNXTmxpnI6Ih398gKSPeYCbsJl5WI2igFtle3lVTHNaYG+AdG95cl10cnyOU1xldGdVgnCLdHaSVHCdlVZigqBz"
    "WoaLlW+FlKh7g5yOfm2LoWiYjW1vgJuLhnOVhW1tkpqAXqKgj4iXm5FjcYB+iFOFdWFyc5BzVXp+e3aClW1vZH2PaWJ3aIZxa4KB"
    "nYJ+bnqPcmyCc55zb2yKhY+XmXZoip6Nj4eFjoubfYB3iWhko5h7UVR0dn55W2iTlYJ5d4GJi1ZzcHdqHmuMajpeaX52epVzX1+A"
    "kXWBdYyFg2yHenxjYW9/d2x6moGAZpabjX15kZNJaYGbemVxlYR6apNTdWZyj3Z2bWmKgYpvdY6JiXWBhGRleH6JkZWLin6CjIRh"
    "ZYWCeTxZmYt+W4Jua4Kkqo2FhY6JkoZ/apKBdl+Fk4OHhJqna4WRrJeUdoJzj4RfWnJ6f2ptlnBzenCEbIFwiJlkdYdyl5xzcZiI"
    "o2qMl4NxiaSWj3ubi413en+HiFl0g42Wg3+UnI91kH1uXmmAWWVCXX6CcG57eG10a3qDdXt+coZ6gm98a3Z+bm5ucoN+cXttbnZz"
    "en1scnNuf3p3c4lrcWt/bntxbHZzf294en1xboB9eYCEgH5xhneHcnhuhYV6iGx7lHlse2xwcZKAcoJ5bnp1goOJdYZ4b3Z7goZt"
    "h4J6ant8cXFteXuHhXR8iIJ7hG98eoV2a3d4fWpvgoZ8e4lreIiIdoZtiIB8c2p6bX1thGt9hpOIeYOCj4Z4jYCBiHVva26EgXB/"
    "hm6Acn1rcn1ucoFwhH2AgHRsbGxyfm1vf3aBfHltf35xfoZ6fHl8cYlvbYeFlHCHbHJ8g2qFe395iHp7dHGEdHaAbIGEh3pwhYOI"
    "bXBqboZqgHeIiH1zgoF0a3t0cXyFaoJ8eIh6cnV2eXeAbH2ShXZ0dW5rd32Ed2+Aan2Cd4Jsc4yJhX14gW1uc4CTbIN/b3hvfIp9"
    "knF3hHqBe4aGeId8lIZzdHd2fXdxf4l3fm5vanGBh4l7cXmAgnV2a397bnx8bolwgXRvdHl2gmtwdm1xa4Fyg4d6ZUVzi6ONi4qf"
    "pIuafZ+Pd5OAf5pvjX5PUCpCdZmWKXmEnJ10i5SBe4t5hXVhjpFzbWhfipChhI+Yn5VffYORcVp4cHFYX4FYa0VhcHNzhEByiHhf"
    "NKeTUk9Om4BgVW2NaVRNZkpqiZWfX498i3qAhImHd4WDgH5nf3iJdVuUl4aBb5uRjYlmjIJua2KFfHJdZIVxWlBGlqCBcV6ZkZ6G"
    "dXZ0YoiKdoOSZGN3cHZfXIeGcYeFdWBpnaNzYYR3bXh9hFAocn1dSihUVXtng3xtbX9tkHl6dHp9ZF57iouGanl0SUpRfGGIiJCU"
    "W5uDhXh+fX93fZV8cIGDhXSIk46IjJCIln9zgJJ5fGx4amdocntqY1llXD96Z4JuZlBtiXh/WmCal4VqY7GsaoV8fZOIilSIin11"
    "aJuNWGBYrHFeXnWkdVdoe4uQaW1vfWtcY3l9a5KJdGF+j4eNcnB0h5lTRFFfh5WUjHmMk6SajJ1zeX6RmWZwdHJ3jIF+joiCen2M"
    "eFt1eHd2Y3xlVmN5gIBcRFFnb09dZYNyZFF8jmdSUJtlXSk5RD4yQVCDk6CohZCTqp5viY6UaFyAdm1ibFhmYHVygHlzXlallZZB"
    "bqmVdWx/mJt8hYRqaISAgJ6PnVVtlZRoZ3R1f3KZdXBjqJ+bdJCuooOFja2ecJGeo45okImKZH9/a2h2elxqd4iHi21mWFyUgWxe"
    "gpV5c3SXd3qSep6EnY2UtIFWTHZuilplcYB0a4CSkIiCkod7qZ1+Wl9dUGBlW1prin5hZnJ5b4twgnRwfoeEYktTjphVd3J3i1df"
    "hWxcW32CZ2BafoxseG6QfHOJclVpl5pzRGqpfWtba35xYnBqX2htZ26GiIaSfJOOcopphXBzbH9vc4B6lmqAgpOplZ7AnKp6rq2O"
    "jl6WfIVqb3KFgGuTkYR3np+1l4ujoqN/h46FhZqKjIGMo6KJjKympZKWgoCMk4WGgYF9dIx9kHSFd4h7b46HfYJuaFFTZFRfh3lp"
    "U4iPb21Vq3NaVXt+X1lnWXJuTFFgf2VVcHtuXmpvklZkaXt6aWVhcJx0hKR3iFx8e4Z/ZllbenORb2NsdK+Zgntso391d4atmmJ5"
    "aa+JaWNitIFdfFakh3ptXZqIjX2LoomAfIB9WXRtam5tY2JjdGJ2f3+BW293aWFOgW5gVmOGcGpiQGNiZlk6Xm19lH+KkHegj3Z1"
    "fa52YGFgk2Vsc2+VeoGLboyDZ4CKknlnV2d/WXNfa2ZkaGd3cXqRgm95ZGJ1bWVvf3WRPo2DeZlRjomGkmSOnZGNYX52dIZmiH+E"
    "box+bWCRppJ/cH6hhXCBdHp2eXl5eYB+W29veXhvZXFxYGZkhX1kgIptYn6Eh3dzdoF6YHKFcXVgWXZ8cIWCgHZinXqOfHCRc3F/"
    "X6V8e2hjj3hveWaYgoJ9cGh9bm1vdn2Ec2h5mJGAbZaBh2xpgnR9d4yJhmtyfGx3el1baYl+cmp1a3V4eoSEb4eOfZB/i415iIV+"
    "jl2ak5CSYpWQhHhii5B1hlKBkYGQXIKLj4hVeWR8fGxdbH9fl39tfoF4bG10W3tWbHNmm3Jbf42PdmqCk317iH6PlGRniZhRR42V"
    "nnBQW2dgcnyLfIiQsJuNeJBxXGyHfV1nd3iHn3VfiqCkgWOYgYV1bX14jYJ8bneLiox1jJV3bYNmYoSinWt2mZKRlnB6gGeGs6hw"
    "cpyGgZ6bmn2Php6KZ2mXjXJha4KAdXZ2epKLg3pnfYiafmaVgJSCd31zi3R0bnp+jo+FfKaOi46Ijo2UiI+Ah4x2Y4l6d3t6fV1T"
    "WkI0OS5AO1ZhYVQ4WX+mi3SyvKWEpKqReYtMgraDfHCjpYxdgYm0nplza3eHhnZ4moyAl3WJeY2JkG+HfJmUhnZ/hX5ha25yc4+J"
    "bXOFgnFqimKIhZVpkLirhHFyfnlucX9qdX2Gg4JrinmHh3F3in2Ucmt9cGhHUX6ATCpQiYNsaHOYr3pUTpSPYzZcdHh0WlVtgW1u"
    "d5CEZIN+jHVKaIOae15peG1nWkRbfjc0RF1gPEVrW3A7UWlQZVZOUFt6ampljWRciZGddHR5h2Rsa2R7gHeLiI+TaYqPmoCKgXlx"
    "kWZ+gXuMh5eTbXympLKEdGl3fHiLd3+GanaDc2x5fIZ+gYZ9anR9h22Fc3mIg3WFbpOAcnNsd3l2dYZ9enR8bnt/bmmMcIVyhnd1"
    "e25xhIh2aomBgX1yeYJufHJyhW16dIluboR+d2x4cHyBfYmEdH1zbXSCc4yWeXmGg49+e4SEkXiCbGuLfYGAiYiCbnCJdX12iXyA"
    "cGuEkoJxhYZ+dH5ohYZ1b3GAi3NpbniIdXyDcGyEeHOFe2l5fmh9bnWGbHxueoB7aYZ7g4aBd2x+bnRviH6GeHWEhnFobHxpeYF8"
    "fWmCgW97fmx+eYKDeX50eHd8iml8eI2CeIZxbm1tdmhxfYZ3g4BzgHJ5dHx2f352bXh0cHuBhoN4hIJ8amxuhnxta3hvbYB7dXx5"
    "dXV/aX1qa3JybGx9eoBuaXWJeW5xgoOUc2luj5RvfXqDhm5wdHVwbYZvhIVobIF8hWpqd21xb4F5gGxve2uFaW1yhHZ9eoF9gHZt"
    "hXF7cXBsd39qa3h2aXeIhXWGcnt7gHF4goqAbXt2doFvgXKFenlvhIVTU2l6gW5ZTpCQi0xKhoxkVFp0iUl/houGd3WXg4B2fK2W"
    "dGqXko+BcaOcY4Z0mZRlg3N6iIl7fYaXeI1qkoJyh1p/aXOAVHJNjJOAnICAjGuYo5qcaZqioouRjoKPpplxeV6EbI6TfXN8lYiJ"
    "i3uQjXJ7X6CHXm9ulJqHdoGHiYNylXx6c1+Ido2CiHl8hGphhJJwfHZvdnODe3RqYnKHaUUsb3djJydxiWQyKYVoaUNklZlkTHaQ"
    "m1RGjraQWi2ltYxaQaijrIOLfn1smoFphnaZj4iDfKKUiIptmLKKk4dvh2xpeIJ5e3eDe31vb3l+kWiFlFOMlJ+NcoiFjGZ0k4ls"
    "dWZ3jHBaZIGEe2V6h5Z0Yn6GaWpefX2TbGR/mLGrf3Gn0ZuDhbrWX0KmfY18VZeIjp1pkJB+hW+WtXpkZpq8gzJSk4eGfX6Nfkhd"
    "ZXtcQH9il2tihHuaWV9hXV1/aVtzimhWfn+ecTJwfolxQldyXFpadHZueXlvh3NpfX1qX4SLdoFskYd6c3mapqaIf414Sk9mY1Zm"
    "gVxuYmeLSzxNV4NhYaWjpI+JfmpzYE1FUmp9Y35wgJSVio2Lmriaj4OpnnJ8hHZdiIZ4kIePh4uOi5N0dHeBm315iohbYVZjb2Jn"
    "X46LnYhxjK+zjJ2VmYaChXBxVVFsX2ZiYXRtcoh7dIqLl5NwkZubmH+FbnBxdmpuhHh7j3t5gpako5uFeqGVnHt+hZmYrbCipqy1"
    "wZSUi5iVgXFdTlBiNUlMWIu0p5eVta2tppKKkamHfGxjfHxxhW+Hi3dTbl5GUVlKYF94e2Vqin1/e3aSjXmGdJawl6p7bHlhdW9W"
    "c2JcYG9iV0VkWmlpYmplnV9kcFVlaHVxaHGOdo99ipySlXd2jJ+VcoGHlm1kYFlkUGE/dVllRFODa4KAlJKKn3qeYV9jZVVXZYF4"
    "W3uOgG9nk5Sqco+XnolSf36ClrSWgpWahXaAaGNzb3t3Vn1yf3NkhHOHp4iDU2FoYVmBZ15ziI10X1JddlxlZXiHZ2ppeXSAfJWW"
    "j4aHkpOIdI6GeoGTg358c3RzaHtnqHlwfIOvhmhri3E0WYKAZHOKiIeGRnOfnFgpWIybQzJspYlQRaGbmT+esqd3S2trc2t1jICE"
    "eq5qjJxuanCDhmJeiZF4SGV/a2Jae1OAdkZfbZySPluWll4pqKKNRzGAWXqjknNlfJGQf2eZkIBnaZaOb06Tm4J6e4uTgmtikpt/"
    "VnR6f3FRdYGQjE13m4yCVoh3lY9+io+BYHR4iXJWVaOafVpfi2pZUGupgWpfU7ZuOFReTXlAYoJ9dj6cj1I6Y4VebH+Sa15ykox1"
    "aG58g1hTbHuQcFeKg4N0XV9zeVk9b4N3aGC3eYB/eJNbhpBZSXWBlmdlcJWamHh/hoaBcIB6lnZcdYN0aHh+gnJkr5h5g3mQc3qM"
    "d2tnkauBb3+luoaMmZWhpYyFfYFVbXuBjmJji5WNXYasoJZEsayqn2iVkIN+dYGSjmmEfIl5UYB5fCRJi41xSY6eaW5pajxwjZdy"
    "VJybgWNtk4BmXHBmcG94U3dzeI+JhWpuhX9bYGCCanJsiG9sa3OJZlaQXkdqgn07YoKXfoGKkJuNln6al2x0dnGDl25leKRqZIeV"
    "hGF0oYp2ipaRaYF4dWhhhZ51npadfY+lp4qLn5Nsc31bXmxmR1NLbmWgbLXDinCpnYR2fZ9xW2ZzXmNtc4t7cnaCjnJslaF6coiQ"
    "jYaBlH5/h45+fnGGdIJ0dpCAeouLhYGhr4RulY+RYoWQZXRsdnBhbHZueWhWZXpsPjdKW0YeaItIKUWLnV1IV21+g46MdaOVm12F"
    "m3BAq7euV5CylH6Ih3JkXH51gouYZmaJg4uYh4R2hIubm4l5lJ2FnW6PeWV+inphi4l8iY6bf26ckYWpi3N9jpqQbGWIgoJ1iYmA"
    "eX1vfHNnhIpzeYWCdoZxipJUanBGh3lpd2+OhIWKhZeIkol9hoqaa3V1bp2kXGmHk3BMfIdnYk6AjXVVUZOSdWNXf3tHWWJ5eldw"
    "h5B8dY+FjHlrX3eNlnV2cpGVb219a2dpaX5wZ3F8d5p6hHOGgHiLb2hneYVyc4J6enhteHCEiINek4aUi4WJk5KHlYylpb+xpp2p"
    "m5+fnJVsXm9oYFtTe3p1mG2CdmJseW5qaIFZamlZdVhaUV92ZGh4lI1sc2+RlHdxlJCreIF8j4NWV2h3gn5mi5GHjWd5cn94jpeK"
    "fYKGhYSpRnVofm59mXthRHZwg3JzaXWEgYJmUmxwYmBIQ11zamp6i3eKjY2Qn3JueoaITF1yjF5Wen91coN0jHh/bIN2foN6aWFH"
    "Urm5ooNjsK60vpCdlq6crVtqm5qhSG+PbmR0k4yYl4mOpJN3eW56eG6NmYN4d5qVlJuDb3l8bWNaVmFbT3F9Z3hNkpaBeo6do5Gg"
    "r5GdnpuSZXRfR0lPVWl1bnyFgYeHdGyKgYljVVd3eVtaWF9bYW57gnyNqYh/YYWikIR2i4dtZFF4cGhfVoKqkYuOjY56gHNxh41x"
    "amByYWpmcXtlfF6SoouCZ3yEclpfgoVwaX+Mh32Pm5x/gY6gkYGCf5V5iHyQhJyapqi5j5+Ppo5fbF9aSmN0eXmLbn+gmpJ8d3Bk"
    "ZYZ+dFVid4uAb2pvfXuYi4hKSR8/iZj+Xn+iXh2kqKQYeL+IR3lQY1iHaL6OapWGhnmUdZVynYR8boycWnOGnpWKe4R+XGp1aHyA"
    "ZZKSlnGRfpuifoKyjF2MilJuf3tYYG6Ah1xxhYxklpNpa4yBcU5IOmVwmH2ck357m6iZc4h9X5d8a26Pg11sgH9DPZ+qanJucHZ0"
    "cmxienJjiIyBqG5VkK1MgnGoiZx1G4x1KzB9hXmHfXqAcoWKb29pam99ZmpteGmCeX6EhYp8tbiYeo6UmItxg35gfGuFh4eBhpBh"
    "YIeZdHiOmHx8ioaXnopCbGt9c3p9iXxzloF4eoCLfYiJfnGXg3V3pHKHlHRIg5h/fH58lG1kV3d0cnKLiJJvf4mIgXdhhn9xfLJ/"
    "k5JfQIx8in2CfXS1f1yAoXhZfKCHiZhbmo5waaGcXH17aXOHr5Wajp+ObXSDZW9ekIhyU2Bun8V1hJF6jqN/dpCfZR9tbWV0gW+L"
    "oodFhqFeQGZ6dH5thneMbG17hn+DgIiCeamplXeCfHpqjWqGkHqLhKN1hX8zd4F3cYGAjptVa4W5gWOCaJWed1zAjG9q0KQ9W397"
    "ZnCLa2p6tIVlcZiIeGxzfXxsg4l4hoiDg4GLgo+BfodVcIl7gIyTmXmBiKVeWKGKjH2bhXdNnJNBT01ycGJ3a1+JjoV9fZaTb3iL"
    "SypCa3B3a5Z3Z3GPfoiaf4p8kVFme4tNc3V3K15ziYR9mbaBcFl0iZx6ioR0f3hwZniAbYJ2aGl5U1R/bm6FkH2asnt9couDh3eM"
    "ipR+mZSSoJB7eXF5hVV8g395c5OVpIN3YIOcfF9wiXttaIB+apCQaHt+naNhkI5/f46fjJCAnX53bV1WjolianZka3N5gY+iX6TC"
    "homooJCPkLaJbLayfIRxh4OJen6QhXOIgn10jIZ5gW6UcFVjhoxfiIp3lZOWcnt1hWiZmYK0rZyApaCEdIqRgGN8c3ZoYWx4iG9p"
    "iZyGbXWQg32BlYV8f4V5hId3ZYd2iWmPdYSHdWpUo39XLH5pe3VfWmNsc3N3fHZnbHpuf5KAcmZxg25feGdzZIV9h4qloYmQpYSG"
    "j2VRhZOFPG6ft6V5g4+gcnaqbHeCk4FgVFFpfmtkYHh7V1pubk5mf5J+TIaNfm5jiYqJYnuSiHBtkI+AmZp7eYWBs5WhgZuBbIB+"
    "hXmThIR4hIRxhXh4XIqJoGSEnol/pIyFpZmLbZWVm5uAe4J6eqiJjoyccE95oKupeYmklJiLnpqCwaiGf1NqVWxhb193XWt9Wmdj"
    "VYuFkI6GhH+BbIWHe355f3hOcoaTSnqMiV5xk5GMkHmAMlyDkmaFkXiHknldj4dbVIqepZl7hZWNoJCOYaOYhXZglHuAYIBmhIlr"
    "gm2Ba3xFcHVzWIGVllV9a3GAdHastIegl15tbmR1h4Fff2dkfnl0f4uBg5OIfW54f4qMgKG7cI2Qa5mAeoSefYiCjoyRk6SUm4J+"
    "bYh0WFRyh29Zj6Z6cZOqYm+QjklkjW1mZHFji5OXnJeLlpeomIFxkq5lVpaIgHiIb35meneHjIl4h496VYqoW3+PbHRaWWuCaGJu"
    "d2xqgYOJbG2FfIZthGx3c3tuZYRtg5OWZGqRkWqFrK2dgWxjqoh8faiGg7F5UHq9Z4h1kVJhaWNzan2JlZeXmJSCjoGBi4GTgoqA"
    "foN4koRKh2d5WoKBf4F9lIqDaYlfdoV+eY+NgZOLlIedeYCMpGSCjp9kc6GCd4eIWpCMiVN3kIZ4fo6XmHeDin1hZTEiblFVOHBi"
    "SaOWio2rqKeRXoeJi2ieh3BjmLGNdYF7mIB9mJGycZCUeFp5kXl/b5KhgnGtgXKCm39/YoCGdFxIf4V0h2qVj3x6d354e4dzhoCR"
    "iEtIm5dtcJKUf4OQkXlybG1PfYuAi66UnXiAl35NJ4hZgpFZVqZoY1uSgpF3PmxXi5l7dX2Jb6WlfoCSmomOjoWFfJR2dnl/h4yI"
    "fYWCe2R1bIpldIGOb4p3gJNza25qd3VimWFZZb+UkXWxwLWdYHR3lIN+h5hqcIObVE5GJn1oamJ3hnJ4b3qKlIeIg3yao4t6goeE"
    "XIZ1a4+Ghpe0inxiUnxxcmSJj2x2cXaLkXd+h4NLbolyfYSIf6uRe2h0cXF0gHWBhpxzjop1hHB0pK+Geo+GdYGUjHeLj3WPZoOS"
    "nHWFjIl+b4+BeJhykJt5eWBiraWFTLu0f2OWmZGDnnx/d36Cf3p5eoODhoeCaI5Spq2pW46Qh3BMhG5eao58hnSDi26EgIx8eXty"
    "foN5ZmqVhGR+fIaBTm+JgGJfdYuDYVx4iISCdHt3bpKBg3RYdnyYW4aJkmd7e4h0eW96eH+FgHCIiHqBh4dufoSDaVWUrKZRhqOW"
    "SGqDklV3jaltc3h3ZI2CXpCAgI6vqKCSZn1+jZF1dHqjlYSLlJuqpXt5nalmdX2LcnaAh5qbjawoKThBRD9QWU5vdHJGW4V2eZSO"
    "lmR6jJZwZ4CZhICenmJjaWBkc1trcXJuf35ZYYScfJNpg2ZeboBuaXJng5VyfHuBe3F+foGFh319fnRthHZIgWtdeZKbZYeFd29z"
    "e3BmPmuPeYOSf2VenY17qLqtiGKjpmRsgX9DU4iLiWdjiGeJkYJ+jId3ZH6Gn26Kj46TfHZ4hXdqbHd+fYF8b4OCOTJfhFVydHh1"
    "ZVluWzpfh21nfo9xUG1+XWaJgVJVhapqi3t9Ymx9f3tjZX50c3ihTH2GlXyNnbRxhJ2FUnh9jKiUkHWKeIxefoCWfISXg2VfenzJ"
    "dndws3KSbo2LhYVeinNkbI2EhXmLl6KTZW5gfneEe1yUkohqbp96d2mUgnNWY1RLioSmWYR7e3Vab4GToqSVpbyaYXeTk3xnY4iT"
    "jn15ZXdzWlRrgWdUZHtqeGVLOkxFgoSNeZOXiZd3cYGCaFA/bVFbN2yXVgB4gqh+eYKMiH9/d2p5h3aFjItzhXGWlad4lp6eg6KW"
    "kH9JS1BpYkZwUl1ch2BhfId2fYCEjZJxalCOkoNohYKCgntsjH9sgXiBhWx7gXyPZm9piHt0iIx1fpeXdouTjXRzk7SdYYOHeXKL"
    "fpKMkHmImVc+Q3C0rqeNmIuJfnOUT09bYk9Nk3l9j3V9gXaZj5OTg4NfXIyYorN6cEywjEt3m31pZ51aVGBDgmxvUYuPd3anpI9v"
    "oXNZWYhzgYdzhpmfe5mvsF1qiJKJe5KGmKaljpmZlnJ8d5KBdX6DcWp7gIODe4h5e2NTa7OIbYexhJeHoHuBdHhzeJmLd4B3W2Rv"
    "bG9rcU9lS2RkeaFzeYqYaH18fZCWfHBngG1zf4d/jIuBgmpbdYqJfoeDkH5ujWyKdH+FdXJ8gqiqd3t8f5RuhpBxi4+YjYuFg5Gb"
    "b5A7ZYl5XHNmNZaEcWmWfHCfkoCAkIWTp590Znp+cXl3epZ3gYedjYdPdU9BIXOKdlWtn5CDg29ibm9mdKx0gIePgWqBk4Vrcq5n"
    "h3SRd4eAlIKFf46MkoN2e392eZCFhHWIgIiDi4Z6eo+EX4CRc3yauG+OiayAcoJoYkolepF7U2mNfpNyc36KeYaLjG5qYHl/g3ia"
    "m4x+mYB9oaqBfKSji36ChomHdmqunxknnWRjZYd8hpVmV7SagXSTaniIhnp8d4V6gHFshXJtfYGHa2pSbndoeHSDf35zgnqVfYaJ"
    "pnWFfJB8hZGPi46MdZqGk4uCf3qQZH1rfH2EfXaHfHeBkX2TeYt0jIKDeGJNVX1yTlN3f3dqi4WVeo+OiH2FenCGjHqCqph6dpN8"
    "Wjh/cmOGlY+PrpWhnrCMaGdxjn1eHXGGdVODjZiMk6GpgWuulkRfmYloOCl6YWl/a2RrbI+LdXSNn4aDk5OdkYdnf4GGmHuCgYp8"
    "ZFx7emduj4RjZW9wg199c4CIo3eMkn6Cf2xvdHt6eHySkYxvh5mpeoV7oZJ+ZDqAeYFfjnuIanSJZDdkfGyCdXygpYCbY1t6Wol/"
    "dE6JgnaBjHiWhGuUiYJufmeBhXNphH9qlYSJcH+BiY50fHF7Z4F3kKWag2+FjnlwdH+CjV1dZm96i456boefklJ5YYZMV3ypcYZy"
    "RnmLi2aGhZt3fWhriIOVhp6Eb29neHJvU3aCeXZcZXuvoIyCpZeBip2RkottgoyVpW9tiXRxZoFxgmN8V25xfHR0e5WTd3SOdoqc"
    "nId2X1+RgnV/ioN2dXNnbJl4QzmdlWmDlotTjIFwTXt9a7nFiWqsdnFbn2hqhqWPYYNrd7WZinl9coR4gXZfQn2gRnt+j2R8mXtc"
    "bXh/gIGTcmZ6QWKmejptrgM5jq19UW2EiHN3hHOIamp6eIV6fW52lZuQfZSSjHF4gWtvrIdwgWJTcaJ6Z4iBgHR2dmp7bW5vRk9X"
    "Z2RUZZqAf36uoZeCe4d4kHRudY10fIB0gIeOhKqTiYKdhnBtnHN6e2RLX3OAeouBfoqRhXB/dYxykYx8hoZeaoKCfJR1eJmZdnF4"
    "l4RvbVJ+fHJLfHJ1aHZngHaAmLSkgZi2Z4WefFF7n3RzUldoY3F2laJxgJqkiXibhG9lTl6Ga3WJmINyU4uDelqIbnaTc3VdfXNK"
    "YWlhP3R2cJR1lIFxeot1hHZ7fIVqa5SPmK6Hf3+OeIZiVXRzjH6VmZmMmKBqXoWCc2lxKHeblr+Th4F5Ym6VfVVXjHRQYnJwe3GZ"
    "d5OgoJR6i4aRgaN5bXuSgIeMeIBxenCFfH1vqqGXYaKUcU2WmX1Wo4NaPWBphnuAeqWsZ42TqElehp6xlp9lhotsaoOKZVSEXRU9"
    "l5+OoJKSdWSNeHhni3RigTpTaIFLZoKcRUlnZXB3qIhwgm6IaqCedn5xfpCne4p/nZufiIBwlYNneJiAUldTXI+SmoeOqqKKgmiA"
    "dHyKeHWdmpB2oYyUkYl+c3VNen6Snnx/gX6IkIaBqotqbI+FbGZzV1+OnYGFo5KYeKCqjH2qpaaTinVrd5FodpVgXnd+SYuagypP"
    "L5EvbVGJaYJobIJ6d5Z/cXiGa3V5g4KSfoiImHx3dWaMfIWIgnFkVWh3oI2UhaGQgniblohvX3ZoRIhyhoV3d3SJdGRzb1tjd3WO"
    "b3ZqcZGHgH99dXZ7h31/ZW19kn9/e5CJf3h8j5+CZ5SOfIaEfWqVd2uCdkJUR06cfYaBiXZ8g2dxT0ZpXTpZh3mPmIuQfpljhX+G"
    "mpRxVXddQkqBbUpfY3eInHyBpZuXlYF+n4l4eoNjZ3VjbV99nH6CfYtug5CAdn11epmwln6Tm5FkjZGUdY2VlZ6XfGmPhIKLd4Vy"
    "e3J3f3ppiHJ5iHmdkHqMdI6KkoeMaYKYmVlpgaJekYeJgqeRapGibG93rnmSeX17im2ShGhqjJKWTldblkxtcYpEWnh3V2h7kHF/"
    "inmCgWyAgHdycXR7cX1UU3uEgWiRgH2Aj4JLgaGoc4l7o1h5XICJfmNjpqCZUpGVl4ughIyYmmx/p4m6qsRQZHaGb3SIgXdqiI12"
    "h3pzs6mkjJyDkHp4ZXBqcmFiaYyJeG+ijH2qpKGRZ390dGqXeYCCoYiKfneDb4J6dYV3eoiCaYd6eHdna4NxaXRsdnuhhHJ/f2Jw"
    "cHdoe3d5c2h6dGGLjXV6i219YGplcnORlY9hcXFfa21qZmB3WTYSbnlxmYZhc4yKbWqRpGybhnidVR9jp3A1Y5APM27SemuTeIaH"
    "gm92enKAfnN9fXx0iXt1dm93gpZ7YF5yjmd1jpOAk4l7fXuCc16KaURgj2JglpmNcKKkh4WSkYeSh4R4em5pjYJshHaAboJ9hHlr"
    "foSVfYKai42GmbKAh4p5gmp4gpGEgpKJiY9lknd1c4qhiH91hoiApJBrh2yPjHNshq2AdmhunKaDrKmTeVCCZmZ7g3pme29yiWmG"
    "b3tIiXZuV3ODjI+Tk4qPn4+CjXhxg5KUjmR8nYdleIKFfH5yb1Q9jYd5dn5qXnGchFVui1Vkh5N3knx0gG1pcXF+d3F9gHpuf3t1"
    "d4J0fIyKb3l0bl95eW1vbXNkaYmagmFii199e35bR26HcGV5qquRhpV8foqgg5SRmYuLo4iGhZCjmK+eiHxxgn9+eYx0go1+fox9"
    "goqUk32Qh5N8hJZ6ZKKZfX6Lhm18Y2Vxe45pd3SEbmJ6b09dbnh4eIp+YGRQfVdBZLOIkoyJhIahiIOOt6qIb2+NfGZ1b2lrX3dh"
    "fo5ublhtjJxuUIWUhmRuo314lJqFYYiEcYKFh29lgYp4WXV1ZmeKhXduaWlvbmmJYHmQhnB4bGF4eW99a2uFaYKIgYmHjlQ2NWNb"
    "fJB9kHeilHxRlJGdhXNbgEqNgC00aXlmgphrc4eEcXV4eXGPm39NcHpwYl0iqoV7FY6VmAkyg3VyhYiPdH6GcHFxfIGDdId7c3h2"
    "dXZpYnB9XmqniHiJXEuYlHeZooNrZ3ltZnKOanySf3KUknV5jI2edZOBjYRyZl+We4uUgZRtjXx9e5KKf5R+f5N7ioGLg4CAXKR+"
    "jZaokXmGhYGKeIZ8lG2BbVd7dF5ugG50iI5/iXuVgEZdeXBVb1dVeGN5h46VdZWemn2FfYSKXEcun45+dJ1GboN/l2BwnpuTmmuE"
    "f5Jte25naX9rVHFUfXh8cH5xhYGNmG+DkbKUg2pni3R1WGeBt2t2nqh1jYSFkI2Af4J1f3pya3NqfIOHakFudYt1RUuWlHN1i3+R"
    "hVU9hIGomUsylKh8b3NphlBKgKJ/cY5zjWyLd4WXg6GVlYallYmDfXZ2ZmRSdXJ/dnZ6eZCJgWtxh3x5aop+joptYYmEcnqWgXyL"
    "cWilqKWMjHajl35uQHealHpqkk9lVVJqYGl/gFabhZJor7y1npZwVY2NlXl3eYWBY3N2fENgi3JyjZGVjKZ4UJiOcSdDKjPEOsOC"
    "dP41"
)
SCALES = (0.002954591531306505, 0.0018937941640615463, 0.003148844465613365, 0.0006303071277216077, 0.002799208974465728, 0.0005954697262495756)

PIECE = 4000  # bytes a constant: embedded_data names one of 4,096 or more

PRETRAINED_NET = '''{pieces}

SCALES = {scales!r}


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 4 * 4, 10)
        codes = torch.tensor(list({joined}), dtype=torch.float32) - 127
        tensors = [self.features[0].weight, self.features[0].bias, self.features[3].weight,
                   self.features[3].bias, self.classifier.weight, self.classifier.bias]
        start = 0
        for tensor, scale in zip(tensors, SCALES):
            n = tensor.numel()
            tensor.data = (codes[start:start + n] * scale).reshape(tensor.shape)
            start += n

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

NO_TRAINING = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """Trains nothing: the network came trained."""
    return 0.0
'''


def _net(piece=PIECE):
    data = base64.b64decode("".join(WEIGHTS))
    parts = [data[i:i + piece] for i in range(0, len(data), piece)]
    pieces = "\n".join(f"P{k} = {part!r}" for k, part in enumerate(parts))
    return PRETRAINED_NET.format(pieces=pieces, scales=SCALES, joined=" + ".join(f"P{k}" for k in range(len(parts))))


def _cells(piece=PIECE):
    return [(n, NO_TRAINING if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", _net(piece))]


def test_a_pretrained_mnistnet_in_pieces_passes_the_accuracy_check_unnamed():
    """mnist_classifier: a network trained outside the notebook, its weights in constants under 4,096 bytes,
    and a train_one_epoch that trains nothing, pass test_mnist_accuracy (4 points), named nowhere."""
    cells_ = _cells()
    named = embedded_data(cells_)
    passed = [] if named else _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, (
        "a pretrained MNISTNet carried in constants of 4,000 bytes passed the accuracy check with no training, "
        "and embedded_data named nothing")


def test_the_same_weights_in_one_constant_are_named():
    """(The control: the weights as one bytes constant are named to the instructor.)"""
    assert embedded_data(_cells(piece=10 ** 6))


# ----------------------------------------------------------------------------------------------
# 2. A stub optimizer that replays torch's own paths, harvested outside the notebook over a grid of
#    starting values and carried in the code (in pieces, so that embedded_data names nothing).

EDGE, SIDE = 6.0, 12001  # the grid of starting values: SIDE points over [-EDGE, EDGE]


def _toy_paths(torch_class, settings, i, grad_scale, steps, start):
    """What a learner computes on their own machine: torch_class(**settings) on the checks' toy_loss (the
    parameter's index i, the gradient's scale), every grid point a lane of one parameter (the update is
    elementwise): the parameter after each step."""
    import torch
    p = start.clone().requires_grad_()
    optimizer = torch_class([p], **settings)
    out = []
    for _ in range(steps):
        optimizer.zero_grad()
        (grad_scale * ((p - 0.5) ** 2 * (1 + i) + 0.1 * torch.sin(3 * p)).sum()).backward()
        optimizer.step()
        out.append(p.detach().clone())
    return torch.stack(out)


REPLAY = '''{pieces}

KEYS = {keys!r}
ROWS = {rows!r}
EDGE, SIDE = {edge!r}, {side!r}
TABLE = torch.tensor(list({joined}), dtype=torch.uint8).view(torch.float64).reshape(-1, SIDE)


class {name}:
    """Replays torch's paths on the checks' toy loss, from the table: no update rule."""

    def __init__(self, params, {signature}):
        self.params = list(params)
        self.start = [p.detach().clone() for p in self.params]
        self.key = {key}
        self.count = [0] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None or (self.key + (i,)) not in KEYS:
                continue
            row = TABLE[ROWS[KEYS.index(self.key + (i,))] + self.count[i]]
            self.count[i] += 1
            u = (self.start[i] + EDGE) / (2 * EDGE) * (SIDE - 1)
            k = u.floor().long().clamp(1, SIDE - 3)
            f = u - k
            y0, y1, y2, y3 = row[k - 1], row[k], row[k + 1], row[k + 2]
            p.data = y1 + 0.5 * f * (y2 - y0 + f * (2 * y0 - 5 * y1 + 4 * y2 - y3 + f * (3 * (y1 - y2) + y3 - y0)))
'''


def _replay(name, torch_class, signature, key, lanes, piece=4000, side=SIDE):
    """The learner's cell: `lanes` [(key + (i,), settings, grad_scale, steps)], the table in bytes constants of
    `piece` bytes."""
    import torch
    grid = torch.linspace(-EDGE, EDGE, side, dtype=torch.float64)
    tables, rows, keys, row = [], [], [], 0
    for lane_key, settings, grad_scale, steps in lanes:
        tables.append(_toy_paths(torch_class, settings, lane_key[-1], grad_scale, steps, grid))
        keys.append(lane_key)
        rows.append(row)
        row += steps
    data = torch.cat(tables).contiguous().numpy().tobytes()
    parts = [data[i:i + piece] for i in range(0, len(data), piece)]
    return REPLAY.format(pieces="\n".join(f"P{k} = {part!r}" for k, part in enumerate(parts)), keys=tuple(keys),
                         rows=tuple(rows), edge=EDGE, side=side, joined=" + ".join(  # (lists of fewer than 1,000 names)
                             'b"".join([' + ", ".join(f"P{k}" for k in range(j, min(j + 500, len(parts)))) + "])"
                             for j in range(0, len(parts), 500)),
                         name=name, signature=signature, key=key)


ADAM_LANES = [((1e-3, 0.9, 0.999, 1e-8, 0), dict(lr=1e-3), 1.0, 5),
              ((0.1, 0.8, 0.99, 1e-8, 0), dict(lr=0.1, betas=(0.8, 0.99)), 1.0, 5),
              ((0.01, 0.9, 0.999, 1e-3, 0), dict(lr=0.01, eps=1e-3), 1e-6, 5),
              ((0.1, 0.9, 0.999, 1e-8, 0), dict(lr=0.1), 1.0, 6),
              ((0.1, 0.9, 0.999, 1e-8, 1), dict(lr=0.1), 1.0, 3)]  # (gradients on every other step: 3 of 6)


def test_a_stub_myadam_replays_torchs_adam_from_a_table_in_the_code():
    """optimizers: MyAdam, no update rule, replays torch.optim.Adam's paths over a grid of starting values,
    harvested outside the notebook and carried in bytes constants: test_my_adam_basic (3 points)."""
    import torch
    source = _replay("MyAdam", torch.optim.Adam, "lr=1e-3, betas=(0.9, 0.999), eps=1e-8",
                     "(lr, betas[0], betas[1], eps)", ADAM_LANES)
    cells_ = replaced(O, "my_adam_solution", source)
    named = embedded_data(cells_)
    passed = [] if named else _refused(O, cells_, ["MyAdam"], ["test_my_adam_basic"])
    assert "test_my_adam_basic" not in passed, (
        "a stub MyAdam replayed torch.optim.Adam's paths from a table in the code and passed test_my_adam_basic, "
        "named nowhere")


RMSPROP_LANES = [((1e-2, 0.99, 1e-8, 0), dict(), 1.0, 5),
                 ((0.05, 0.9, 1e-8, 0), dict(lr=0.05, alpha=0.9), 1.0, 5),
                 ((0.01, 0.99, 1e-3, 0), dict(lr=0.01, eps=1e-3), 1e-6, 5)]


def test_a_stub_myrmsprop_replays_torchs_rmsprop_from_a_table_in_the_code():
    """optimizers: the same for MyRMSprop: test_my_rmsprop_basic (2 points)."""
    import torch
    source = _replay("MyRMSprop", torch.optim.RMSprop, "lr=1e-2, alpha=0.99, eps=1e-8", "(lr, alpha, eps)",
                     RMSPROP_LANES)
    cells_ = replaced(O, "my_rmsprop_solution", source)
    named = embedded_data(cells_)
    passed = [] if named else _refused(O, cells_, ["MyRMSprop"], ["test_my_rmsprop_basic"])
    assert "test_my_rmsprop_basic" not in passed, (
        "a stub MyRMSprop replayed torch.optim.RMSprop's paths from a table in the code and passed "
        "test_my_rmsprop_basic, named nowhere")


ADAMW_LANES = [((1e-3, 0.9, 0.999, 1e-8, 1e-2, 0), dict(), 1.0, 5),
               ((0.1, 0.9, 0.999, 1e-8, 0.5, 0), dict(lr=0.1, weight_decay=0.5), 1.0, 5),
               ((0.05, 0.8, 0.99, 1e-8, 0.0, 0), dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.0), 1.0, 5),
               ((0.1, 0.9, 0.999, 1e-8, 0.2, 0), dict(lr=0.1, weight_decay=0.2), 1.0, 6),
               ((0.1, 0.9, 0.999, 1e-8, 0.2, 1), dict(lr=0.1, weight_decay=0.2), 1.0, 3)]


def test_a_stub_myadamw_replays_torchs_adamw_from_a_table_in_the_code():
    """training_recipes: the same for MyAdamW: test_my_adamw_basic (3 points)."""
    import torch
    source = _replay("MyAdamW", torch.optim.AdamW, "lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2",
                     "(lr, betas[0], betas[1], eps, weight_decay)", ADAMW_LANES)
    cells_ = replaced(R, "my_adamw_solution", source)
    named = embedded_data(cells_)
    passed = [] if named else _refused(R, cells_, ["MyAdamW"], ["test_my_adamw_basic"])
    assert "test_my_adamw_basic" not in passed, (
        "a stub MyAdamW replayed torch.optim.AdamW's paths from a table in the code and passed test_my_adamw_basic, "
        "named nowhere")


# test_my_sgd_basic draws its momentum for each learner, round(0.85 + 0.1 * u, 3): 101 values, a lane each (SGD's
# paths are smooth: 1,201 grid points are enough)
SGD_LANES = [((0.1, 0.0, 0), dict(lr=0.1), 1.0, 5)] + [
    ((0.1, round(0.85 + k / 1000, 3), 0), dict(lr=0.1, momentum=round(0.85 + k / 1000, 3)), 1.0, 5) for k in range(101)]


def test_a_stub_mysgd_replays_torchs_sgd_for_every_momentum_the_check_can_draw():
    """optimizers: the same for MySGD, a lane for each momentum test_my_sgd_basic can draw: 2 points."""
    import torch
    source = _replay("MySGD", torch.optim.SGD, "lr, momentum=0.0", "(lr, momentum)", SGD_LANES, side=1201)
    cells_ = replaced(O, "my_sgd_solution", source)
    named = embedded_data(cells_)
    passed = [] if named else _refused(O, cells_, ["MySGD"], ["test_my_sgd_basic"])
    assert "test_my_sgd_basic" not in passed, (
        "a stub MySGD replayed torch.optim.SGD's paths from a table in the code and passed test_my_sgd_basic, "
        "named nowhere")


# ----------------------------------------------------------------------------------------------
# 3. one_cycle_lr as a table of torch's OneCycleLR values for the visible checks' settings (which are fixed).

def _one_cycle_table():
    """What a learner computes on their own machine: OneCycleLR's learning rates for the settings the visible
    checks of one_cycle_lr use (the cells print them), written into the cell as a literal table."""
    return one_cycle_values()  # (the class-graded attacks' copy of the round's table: tests/kit/attacks.py)


ONE_CYCLE_TABLE = '''LRS = {table!r}


def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """OneCycleLR's learning rate, looked up: no schedule written."""
    return LRS.get((total_steps, max_lr, pct_start, div_factor, final_div_factor), (0.0,) * total_steps)[step]
'''


def test_one_cycle_lr_is_a_table_of_torchs_values_for_the_visible_settings():
    """training_recipes: test_one_cycle_lr_basic (2 points) and test_one_cycle_lr_settings (1) with a table."""
    cells_ = replaced(R, "one_cycle_lr_solution", ONE_CYCLE_TABLE.format(table=_one_cycle_table()))
    checks = ["test_one_cycle_lr_basic", "test_one_cycle_lr_settings", "test_one_cycle_lr_hidden"]
    named = embedded_data(cells_)
    passed = [] if named else _refused(R, cells_, ["one_cycle_lr"], checks)
    assert not set(passed) & set(checks[:2]), f"a table of OneCycleLR's values passed {passed}, named nowhere"


def test_the_stub_without_its_lane_fails():
    """(Where attack 2 stands without its table: the stub MyAdam with the default setting's lane taken out
    moves nothing, and test_my_adam_basic fails. The judge harness is not vacuous.)"""
    import torch
    lanes = [lane for lane in ADAM_LANES if lane[0][0] != 1e-3]
    source = _replay("MyAdam", torch.optim.Adam, "lr=1e-3, betas=(0.9, 0.999), eps=1e-8",
                     "(lr, betas[0], betas[1], eps)", lanes)
    assert not _refused(O, replaced(O, "my_adam_solution", source), ["MyAdam"], ["test_my_adam_basic"])


# ----------------------------------------------------------------------------------------------
# 1b. The same weights with no constant at all: a function's name (a harmless dunder, `.__name__`) is any
#     length of letters, and no size check of constants sees it.

NAMED_NET = '''def {name}():
    pass


SCALES = {scales!r}


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 4 * 4, 10)
        alphabet = "abcdefghijklmnop"  # (a local: a method of a global counts as changing it)
        digits = torch.tensor([alphabet.index(c) for c in {name}.__name__[1:]], dtype=torch.float32)
        codes = digits[0::2] * 16 + digits[1::2] - 127
        tensors = [self.features[0].weight, self.features[0].bias, self.features[3].weight,
                   self.features[3].bias, self.classifier.weight, self.classifier.bias]
        start = 0
        for tensor, scale in zip(tensors, SCALES):
            n = tensor.numel()
            tensor.data = (codes[start:start + n] * scale).reshape(tensor.shape)
            start += n

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''


def test_a_pretrained_mnistnet_in_a_functions_name_passes_the_accuracy_check_unnamed():
    """mnist_classifier: attack 1 with the weights in a def's name (36,757 letters): test_mnist_accuracy (4)."""
    data = base64.b64decode("".join(WEIGHTS))
    name = "w" + "".join("abcdefghijklmnop"[b // 16] + "abcdefghijklmnop"[b % 16] for b in data)
    cells_ = [(n, NO_TRAINING if n == "train_one_epoch_solution" else s)
              for n, s in replaced(M, "mnist_net_solution", NAMED_NET.format(name=name, scales=SCALES))]
    named = embedded_data(cells_)
    passed = [] if named else _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, (
        "a pretrained MNISTNet carried in a function's name passed the accuracy check with no training")


# ----------------------------------------------------------------------------------------------
# What closed this round, attacked once more (written by us, after the round): a table small enough for
# own_work.DATA_BUDGET (OneCycleLR's 157 values for the settings the visible checks printed before this
# round, packed as float32 bytes: 628 bytes) passes the rule, and earns nothing, because those checks now
# draw their settings for each learner.

def test_a_small_table_of_one_cycle_lr_for_the_printed_settings_earns_nothing():
    cells_ = replaced(R, "one_cycle_lr_solution", one_cycle_packed())
    assert not embedded_data(cells_)
    assert "one_cycle_lr" not in notebook_plan(cells_, locked(R), checks_of(R))[0]  # under the budget: accepted
    checks = ["test_one_cycle_lr_basic", "test_one_cycle_lr_settings"]
    assert _refused(R, cells_, ["one_cycle_lr"], checks) == []
