"""Knowledge: find the runbooks, past incidents and known errors that fit an incident."""

from oncall.knowledge.base import KnowledgeQuery, Retriever
from oncall.knowledge.lexical import LexicalRetriever

__all__ = ["KnowledgeQuery", "LexicalRetriever", "Retriever"]
