from __future__ import annotations

from schema.loaders import ByIdLoader, ManyByLoader
from server.proposals.models import Deputy, HandlingTask, Proposal, ProposalEvent, ProposalUnit


class ProposalByIdLoader(ByIdLoader):
    model = Proposal


class DeputyByIdLoader(ByIdLoader):
    model = Deputy


class TasksByProposalLoader(ManyByLoader):
    model = HandlingTask
    key_field = "proposal_id"


class EventsByProposalLoader(ManyByLoader):
    model = ProposalEvent
    key_field = "proposal_id"


class UnitsByProposalLoader(ManyByLoader):
    model = ProposalUnit
    key_field = "proposal_id"
