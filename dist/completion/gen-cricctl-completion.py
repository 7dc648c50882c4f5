#!/usr/bin/env python3
"""Writes bash completion for cricctl from cricctl's own help (argv[1]: the cricctl
binary, argv[2]: the script to write): every command of `cricctl --help` and the
options of each command's `--help`, so a new command or flag is completed without
editing this file."""
import re
import subprocess
import sys


def help_text(cricctl, *args):
    return subprocess.run([cricctl, *args, "--help"], check=True, capture_output=True, text=True).stdout


def section(text, name):
    """The lines of one help section (COMMANDS:, OPTIONS:, GLOBAL OPTIONS:)."""
    m = re.search(r"^%s:\n((?:   .*\n?)*)" % re.escape(name), text, re.M)
    return m.group(1).splitlines() if m else []


def options(lines):
    """(names, names that take a value) of option lines like "   --pod POD, -p POD  Filter"."""
    names, valued = [], []
    for line in lines:
        spec = re.split(r"\s{2,}", line.strip())[0]
        for part in spec.split(", "):
            words = part.split()
            if words and words[0].startswith("-"):
                names.append(words[0])
                if len(words) > 1:
                    valued.append(words[0])
    return names, valued


def main():
    cricctl, out = sys.argv[1:3]
    top = help_text(cricctl)
    verbs = []
    for line in section(top, "COMMANDS"):
        spec = re.split(r"\s{2,}", line.strip())[0]
        verbs += [v.strip() for v in spec.split(",")]
    globals_, global_valued = options(section(top, "GLOBAL OPTIONS"))
    cases = []
    for verb in verbs:
        if verb in ("help", "h"):
            continue
        names, _ = options(section(help_text(cricctl, verb), "OPTIONS"))
        cases.append('        %s) opts="%s" ;;' % (verb, " ".join(names)))
    script = """# bash completion for cricctl. Generated from `cricctl --help` by
# dist/completion/gen-cricctl-completion.py; do not edit.

_cricctl() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        local verbs="%(verbs)s"
        local globals="%(globals)s" global_valued=" %(global_valued)s "
        local verb="" i
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --*=* | -) ;;
                -*) [[ $global_valued == *" ${COMP_WORDS[i]} "* ]] && ((i++)) ;;
                *)
                        verb=${COMP_WORDS[i]}
                        break
                        ;;
                esac
        done
        COMPREPLY=()
        if [[ -z $verb ]]; then
                [[ $global_valued == *" $prev "* && $COMP_CWORD -gt 1 ]] && return
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$globals" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
                fi
                return
        fi
        local opts=""
        case $verb in
%(cases)s
        help | h)
                ((COMP_CWORD == i + 1)) && COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
                return
                ;;
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        elif [[ $prev == -o || $prev == --output ]]; then
                COMPREPLY=($(compgen -W "json yaml table" -- "$cur"))
        fi
}
complete -o default -F _cricctl cricctl
""" % {"verbs": " ".join(verbs), "globals": " ".join(globals_), "global_valued": " ".join(global_valued),
       "cases": "\n".join(cases)}
    with open(out, "w") as f:
        f.write(script)


main()
