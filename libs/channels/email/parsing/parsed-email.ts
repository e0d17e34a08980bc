/** A mailbox: the address, lowercased, and the display name when the message gave one. */
export interface EmailAddress {
  /** Lowercased `local@domain`. */
  address: string;
  /** The display name, decoded; null when the message gave none. */
  name: string | null;
}

/** A file that came with an email, inline images included. */
export interface ParsedAttachment {
  filename: string;
  /** MIME type without parameters, lowercased. */
  contentType: string;
  /** Bytes of the decoded content. */
  size: number;
  /** Base64 of the content; null when the attachment exceeded the size limit (name, type and size are still kept). */
  contentBase64: string | null;
}

/** What a delivery status notification says about the message that could not be delivered. */
export interface BounceReport {
  /** Message-ID of the message that bounced, angle brackets kept. */
  originalMessageId: string | null;
  /** The recipient that failed, lowercased. */
  recipient: string | null;
  /** The enhanced status code, e.g. "5.1.1". */
  status: string | null;
  /** The remote server's explanation, e.g. "550 5.1.1 User unknown". */
  diagnostic: string | null;
}

/** The normalised form every inbound email source (raw MIME, Postmark, Mailgun, SendGrid) produces. */
export interface ParsedEmail {
  from: EmailAddress;
  /** Every recipient address (the SMTP envelope RCPT TO when known, else To + Cc), lowercased, deduplicated. */
  to: string[];
  subject: string;
  /** RFC 5322 ids keep their angle brackets: "<abc@host>". */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Plain-text body; derived from the HTML (tags stripped) when there is no text part. */
  text: string;
  /** The HTML body exactly as received (sanitising happens separately), null when none. */
  html: string | null;
  /**
   * Sent by a machine: Auto-Submitted other than "no", Precedence bulk/junk/list/auto_reply, X-Autoreply,
   * X-Autorespond, X-Auto-Response-Suppress: All/OOF/AutoReply, or a bounce. List-Id or List-Unsubscribe are
   * NOT enough on their own.
   */
  autoSubmitted: boolean;
  /** A delivery status notification (bounce); null for ordinary mail. */
  bounce: BounceReport | null;
  attachments: ParsedAttachment[];
  /** The Date header as an ISO 8601 string; null when missing or unparseable. */
  date: string | null;
}

/** Limits applied while normalising. */
export interface ParseLimits {
  /** Attachments larger than this keep their metadata but not their content. */
  maxAttachmentBytes: number;
}
