"""Natural language -> spec: `pipegen init --describe`.

One module per job: ``words`` reads the request (streams, fields, durations, numbers), ``plan`` decides what
it computes and makes the candidate specs, ``constraint`` turns them into what a backend decodes under,
``prompt`` writes the prompts, ``loop`` runs generation, checks and repairs.
"""

from pipegen.generate.constraint import Choices, IRSchema, json_to_pgl, trie_grammar
from pipegen.generate.loop import (
                                   GenerationResult,
                                   checked_candidates,
                                   generate,
                                   template_from_fields,
                                   template_spec,
                                   with_diagnostics_as_comments,
)
from pipegen.generate.plan import Plan, plan_request
from pipegen.generate.prompt import json_prompt, spec_prompt
from pipegen.generate.words import snake

__all__ = [
    "Choices", "GenerationResult", "IRSchema", "Plan", "checked_candidates", "generate", "json_prompt",
    "json_to_pgl", "plan_request", "snake", "spec_prompt", "template_from_fields", "template_spec", "trie_grammar",
    "with_diagnostics_as_comments",
]
